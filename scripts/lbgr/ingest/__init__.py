"""Ingest: raw bytes → text. The manifest of raw files, decoding (encodings, HTML, Word, PDF),
normalisation and repair of the text, page furniture, dates and numerals, and the document-type
guard. Imports nothing of the later stages."""
