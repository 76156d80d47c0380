"""Build the china-law-based-government-reports data package from raw report files."""

__version__ = "0.1.0"
