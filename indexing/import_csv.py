"""Metadata CSV for bulk imports (header `path,title,year,unit,field`), shared by the CLI, the web
import and the benchmarks."""
from __future__ import annotations

import csv
from pathlib import Path

from indexing.errors import InputError


def read_manifest(manifest: Path) -> list[tuple[Path, dict]]:
    """CSV with header path,title,year,unit,field; paths relative to the CSV or absolute."""
    try:
        with open(manifest, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            if not reader.fieldnames or "path" not in reader.fieldnames:
                raise InputError("Tệp danh sách (CSV) phải có dòng tiêu đề: path,title,year,unit,field.")
            rows = []
            for row in reader:
                path = Path(row["path"])
                if not path.is_absolute():
                    path = manifest.parent / path
                rows.append((path, {k: (row.get(k) or "").strip() or None for k in ("title", "year", "unit", "field")}))
            return rows
    except FileNotFoundError:
        raise InputError(f"Không tìm thấy tệp danh sách «{manifest}».") from None
    except UnicodeDecodeError:
        raise InputError("Tệp danh sách (CSV) phải được lưu với bảng mã UTF-8.") from None
