"""Layer 1 of validation: the package contract, by frictionless.

The build checks the descriptor (``Package.metadata_validate``, then loading it as a package) and
that every resource's file has the bytes and SHA-256 that ``datapackage.json`` states. The cells
themselves are checked by the generated pandera schemas (``lbgr.validate.schemas``), which check
every column at once. ``full`` runs stock frictionless over every row of every table as well:
``nox -s validate`` and the tests on the real package do, where it is the contract.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path


def _sha256_and_size(path: Path) -> tuple[str, int]:
    h, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
            size += len(block)
    return h.hexdigest(), size


def check_contract(package_dir: Path, full: bool = False) -> list[str]:
    """Error messages (empty when the package keeps its contract)."""
    from frictionless import FrictionlessException, Package

    package_dir = Path(package_dir)
    try:
        descriptor = json.loads((package_dir / "datapackage.json").read_text(encoding="utf-8"))
        problems = [e.message for e in Package.metadata_validate(descriptor)]
        if problems:
            return [f"frictionless: datapackage.json: {m}" for m in problems]
        package = Package(descriptor, basepath=str(package_dir))
    except (FrictionlessException, OSError, ValueError) as exc:
        return [f"frictionless: datapackage.json: {exc}"]
    errors = []
    for res in descriptor.get("resources", []):
        try:
            digest, size = _sha256_and_size(package_dir / res["path"])
        except OSError as exc:
            errors.append(f"frictionless: {res['name']}: cannot read {res['path']}: {exc}")
            continue
        if "bytes" in res and res["bytes"] != size:
            errors.append(f"frictionless: {res['name']}: {res['path']} has {size} bytes, datapackage.json says {res['bytes']}")
        if "hash" in res and res["hash"] != "sha256:" + digest:
            errors.append(f"frictionless: {res['name']}: {res['path']} does not match its hash")
    if full:
        report = package.validate()
        for task in report.tasks:
            for err in task.errors[:20]:
                row = getattr(err, "row_number", None)
                errors.append(f"frictionless: {task.name}" + (f" row {row}" if row else "") + f": {err.message}")
        errors += [f"frictionless: {err.message}" for err in report.errors]
    return list(dict.fromkeys(errors))
