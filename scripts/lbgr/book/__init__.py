"""The Jupyter Book, outside the pipeline: ``build`` generates the data dictionary and builds the
book (``python -m lbgr.book``); ``kit`` holds what its pages share."""
