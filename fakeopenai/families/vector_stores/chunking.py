"""What a vector store indexes of a file: its text (text, markdown, JSON, code ...), cut into chunks
of at most ``max_chunk_size_tokens`` tokens that overlap by ``chunk_overlap_tokens``, counted the
way the rest of the fake counts tokens (:func:`fakeopenai.spec.generate.count_tokens`).

Usage::

    text, error = extract("notes.md", b"# Notes ...")      # error: a last_error, or None
    chunks = chunk_text(text, max_tokens=800, overlap=400)  # [str, ...]
"""

from __future__ import annotations

import io
import math
import re
from pathlib import PurePosixPath

AUTO = {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400}   # what `auto` means
# The extensions file search takes (the live API's list); the fake reads those that are text.
TEXT_EXTENSIONS = frozenset({".c", ".cpp", ".cs", ".css", ".go", ".html", ".java", ".js", ".json", ".md", ".php",
                             ".py", ".rb", ".sh", ".tex", ".ts", ".txt"})
DOCUMENT_EXTENSIONS = frozenset({".pdf", ".doc", ".docx", ".pptx"})
_PIECE = re.compile(r"\s*\S+")


def extract(filename: str, content: bytes) -> tuple[str, dict[str, str] | None]:
    """The file's text, or the ``last_error`` its processing fails with."""
    extension = PurePosixPath(filename).suffix.lower()
    if extension == ".pdf":
        return _pdf_text(filename, content)
    if extension in DOCUMENT_EXTENSIONS:
        return "", {"code": "unsupported_file",
                    "message": f"fakeopenai indexes text and PDF files only; {filename} is a {extension} "
                               "document (the live API extracts its text). Upload its text as .txt or .md."}
    if extension not in TEXT_EXTENSIONS:
        return "", {"code": "unsupported_file",
                    "message": f"The file type of {filename} is not supported for file search. Supported "
                               f"types: {', '.join(sorted(TEXT_EXTENSIONS | DOCUMENT_EXTENSIONS))}."}
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return "", {"code": "invalid_file", "message": f"The file {filename} is not valid UTF-8 text."}
    if not text.strip():
        return "", {"code": "invalid_file", "message": f"The file {filename} has no text to index."}
    return text, None


def _pdf_text(filename: str, content: bytes) -> tuple[str, dict[str, str] | None]:
    """A PDF's text, page after page (pypdf: the text layer; a scanned page has none, as for the live API
    without OCR)."""
    import pypdf  # imported on the first PDF: the server never needs it otherwise

    try:
        text = "\n\n".join(page.extract_text() or "" for page in pypdf.PdfReader(io.BytesIO(content)).pages)
    except (pypdf.errors.PyPdfError, ValueError, KeyError, TypeError) as exc:
        return "", {"code": "invalid_file", "message": f"The file {filename} could not be read as a PDF ({exc})."}
    if not text.strip():
        return "", {"code": "invalid_file", "message": f"The file {filename} has no text to index (a PDF of "
                                                        "scanned pages has no text layer)."}
    return text, None


def _tokens(piece: str) -> int:
    # Per word (with the space before it): summed over a chunk, never less than count_tokens of the chunk.
    return max(1, math.ceil(len(piece) / 4))


def chunk_text(text: str, *, max_tokens: int, overlap: int) -> list[str]:
    """``text`` in chunks of at most ``max_tokens`` tokens, each starting ``overlap`` tokens before the
    previous one ended (whole words; a word longer than a chunk is a chunk of its own)."""
    pieces = _PIECE.findall(text)
    sizes = [_tokens(piece) for piece in pieces]
    chunks: list[str] = []
    start = 0
    while start < len(pieces):
        end, used = start, 0
        while end < len(pieces) and (used + sizes[end] <= max_tokens or end == start):
            used += sizes[end]
            end += 1
        chunks.append("".join(pieces[start:end]).strip())
        if end >= len(pieces):
            break
        back, kept = end, 0   # the next chunk repeats the last `overlap` tokens of this one
        while back - 1 > start and kept + sizes[back - 1] <= overlap:
            back -= 1
            kept += sizes[back]
        start = back
    return chunks
