"""Markup left in the indexed text: how many chunks of a corpus still carry each kind of source syntax.

    .venv/bin/python benchmarks/text_cleanliness.py [--corpus DIR] [--examples N]

Reads and chunks the corpus exactly as an index build does (same readers, same chunking, the model's own
tokenizer; nothing is embedded), then counts the chunks, text or heading path, that match each pattern.
Code quoted in the documents (```` ``` ```` blocks, `` `spans` ``) is kept as written, so a glob ``*.md`` or a
tag name ``<input>`` in code is text, not markup: the second count reads each file with its code replaced
by the word « code ». Target (issue #12): 0 outside code for every row. ``--examples`` prints offending
excerpts (outside code).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from assistant.settings import Settings  # noqa: E402
from index.chunking import chunk_document  # noqa: E402
from index.documents import UnreadableDocument  # noqa: E402
from index.readers import read_document  # noqa: E402
from index.sources import CorpusFolder  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"

PATTERNS = {
    "liste d'attributs kramdown `{:…}` `{title=…}` `{.classe}`":
        re.compile(r"\{:[^}\n]*\}|\{\s*[.#][A-Za-z][^}\n]*\}|\{\s*[A-Za-z_-]+=[^}\n]*\}"),
    "emphase `_x_`": re.compile(r"(?<![\w\\])_(?=[^\s_])[^_\n]*?[^\s_]_(?!\w)|(?<![\w\\])_[^\s_]_(?!\w)"),
    "emphase `*x*`": re.compile(r"(?<![\w*])\*(?=[^\s*])[^*\n]*?[^\s*]\*(?![\w*])"),
    "gras `**` / `__x__`": re.compile(r"\*\*|(?<!\w)__(?=\S)"),
    "lien `](`": re.compile(r"\]\("),
    "entité HTML `&nom;`": re.compile(r"&(?:[a-zA-Z]+|#\d+|#x[0-9a-fA-F]+);"),
    "balise HTML `<…>`": re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>]*)?/?>"),
    "gabarit liquid `{% %}` `{{ }}`": re.compile(r"\{%|%\}|\{\{|\}\}"),
    "note `[^1]`": re.compile(r"\[\^[^\]]+\]"),
    "astérisque contre un guillemet `«*` `*»`": re.compile(r"«\s?\*|\*\s?»"),
    "crédit d'image `By … CC BY-SA`, `- © …`": re.compile(r"(?:^|\n)\W*(?:By|Par) [A-Z][^\n]{0,120}CC[- ]?BY|\s[-–—]\s©"),
}


CODE_BLOCK = re.compile(r"^[ \t]*(```|~~~).*?^[ \t]*\1[^\n]*$", re.S | re.M)
CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.S)


def without_code(data: bytes) -> bytes:
    text = CODE_BLOCK.sub("code", data.decode("utf-8", errors="replace"))
    return CODE_SPAN.sub("code", text).encode("utf-8")


def chunk_texts(corpus: Path, settings: Settings, code: bool = True) -> list[str]:
    """Every chunk's heading path and text, as an index build of ``corpus`` would store them
    (``code=False``: each Markdown file read with its quoted code replaced by a word)."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(settings.model_path), local_files_only=True)

    def count(texts: list[str]) -> list[int]:
        return [len(ids) for ids in tokenizer(texts, add_special_tokens=True, truncation=False, verbose=False)["input_ids"]]

    texts = []
    source = CorpusFolder(corpus)
    for entry in source.scan():
        if entry.refused or not source.is_supported(entry.id):
            continue
        try:
            if code or not entry.id.endswith((".md", ".markdown")):
                document = entry.load()
            else:
                document = read_document(without_code((corpus / entry.id).read_bytes()), entry.id)
        except UnreadableDocument:
            continue
        texts += [f"{chunk.heading}\n{chunk.text}" for chunk in chunk_document(document, count, settings.chunking)]
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpus-real")
    parser.add_argument("--examples", type=int, default=0, help="extraits fautifs affichés par ligne")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        sys.exit(f"Corpus absent : {args.corpus}")
    settings = Settings(_env_file=None)
    texts, prose = chunk_texts(args.corpus, settings), chunk_texts(args.corpus, settings, code=False)
    print(f"\n{len(texts)} passages de {args.corpus}\n")
    print("| motif | passages concernés, hors code cité | avec le code cité tel quel | cible |\n|---|---|---|---|")
    for name, pattern in PATTERNS.items():
        print(f"| {name} | {sum(1 for t in prose if pattern.search(t))} | {sum(1 for t in texts if pattern.search(t))} | 0 |")
    for name, pattern in PATTERNS.items() if args.examples else ():
        hits = [(t, m) for t in prose for m in [pattern.search(t)] if m][: args.examples]
        for text, match in hits:
            print(f"{name}: …{text[max(0, match.start() - 50): match.end() + 30]!r}…")
    command = " ".join([".venv/bin/python", "benchmarks/text_cleanliness.py", *sys.argv[1:]])
    print(f"\nCommande : {command}")


if __name__ == "__main__":
    main()
