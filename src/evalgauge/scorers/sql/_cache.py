"""A disk cache of gold query results, keyed by the database file's hash and the SQL text."""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path

from evalgauge.scorers.sql._executor import QueryResult

_HASH_CHUNK = 1 << 20


class GoldResultCache:
    """Gold results as pickle files under `directory`, one per (database content, SQL).

    The key hashes the database file's bytes, so a changed database never returns a stale
    result. Only results are stored, never errors. Load a cache directory you wrote yourself:
    unpickling runs code from the file.
    """

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._digests: dict[tuple[str, int, int], str] = {}

    def _file_digest(self, path: Path) -> str:
        stat = path.stat()
        memo_key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
        digest = self._digests.get(memo_key)
        if digest is None:
            hasher = hashlib.sha256()
            with path.open("rb") as handle:
                while chunk := handle.read(_HASH_CHUNK):
                    hasher.update(chunk)
            digest = hasher.hexdigest()
            self._digests[memo_key] = digest
        return digest

    def _entry(self, path: Path, sql: str) -> Path:
        key = hashlib.sha256(f"{self._file_digest(path)}\0{sql}".encode()).hexdigest()
        return self.directory / key[:2] / f"{key}.pickle"

    def get(self, path: Path, sql: str) -> QueryResult | None:
        entry = self._entry(path, sql)
        try:
            with entry.open("rb") as handle:
                result = pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError):
            return None
        return result if isinstance(result, QueryResult) else None

    def put(self, path: Path, sql: str, result: QueryResult) -> None:
        entry = self._entry(path, sql)
        entry.parent.mkdir(exist_ok=True)
        # write then rename, so a concurrent reader never sees half a file
        with tempfile.NamedTemporaryFile(dir=entry.parent, delete=False, suffix=".tmp") as handle:
            pickle.dump(result, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(handle.name, entry)
