"""The outcome of syncing one source: what is new, changed, unchanged, removed, and what was skipped and why."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class SyncReport:
    source: str
    folder: str
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # address -> French reason
    error: str | None = None  # the source failed as a whole; nothing was removed
    requests: int = 0
    bytes_received: int = 0
    seconds: float = 0.0

    @property
    def stored(self) -> int:
        return len(self.new) + len(self.changed)

    @property
    def corpus_changed(self) -> bool:
        return bool(self.new or self.changed or self.removed)

    def as_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        """One French paragraph: the counts, then each skipped address with its reason."""
        if self.error:
            head = f"Source « {self.source} » en échec : {self.error} ; aucun fichier retiré."
        else:
            head = (f"Source « {self.source} » → {self.folder} : {len(self.new)} nouveau(x), {len(self.changed)} modifié(s), "
                    f"{len(self.unchanged)} inchangé(s), {len(self.removed)} retiré(s), {len(self.skipped)} ignoré(s) "
                    f"({self.requests} requêtes, {self.bytes_received / 1e6:.1f} Mo, {self.seconds:.1f} s).")
        return "\n".join([head, *(f"  - {url} : {reason}" for url, reason in sorted(self.skipped.items()))])
