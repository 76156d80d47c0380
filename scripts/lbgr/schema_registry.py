"""Field and table definitions: read once from schemas/, turned into Table Schemas.

``schemas/fields/*.yaml`` define each field once; ``schemas/resources/*.yaml`` list the fields
of each table. Everything else (Table Schema JSON, datapackage.json, pandera schemas, the
book's data dictionary) is generated from what this module returns.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path

import yaml

from lbgr import paths


class SchemaError(Exception):
    pass


# libyaml's parser when PyYAML was built with it: the schemas are read at every start-up.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _yaml(text: str):
    return yaml.load(text, Loader=_LOADER)


@lru_cache(maxsize=4)
def load_fields(schemas_dir: Path = paths.SCHEMAS) -> dict[str, dict]:
    fields: dict[str, dict] = {}
    origin: dict[str, str] = {}
    for path in sorted((schemas_dir / "fields").glob("*.yaml")):
        try:
            specs = _yaml(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise SchemaError(f"{path}: not valid YAML: {exc}") from exc
        for name, spec in specs.items():
            if name in fields:
                raise SchemaError(f"field '{name}' is defined twice: {origin[name]} and {path.name}")
            for key in ("type", "title", "description"):
                if not spec.get(key):
                    raise SchemaError(f"field '{name}' in {path.name} has no {key}")
            fields[name], origin[name] = spec, path.name
    return fields


@lru_cache(maxsize=4)
def load_resources(schemas_dir: Path = paths.SCHEMAS) -> dict[str, dict]:
    out = {}
    for path in sorted((schemas_dir / "resources").glob("*.yaml")):
        spec = _yaml(path.read_text(encoding="utf-8"))
        if spec["name"] != path.stem:
            raise SchemaError(f"{path.name} describes resource '{spec['name']}'; name the file after it")
        out[spec["name"]] = spec
    return out


def load_yaml(name: str, schemas_dir: Path = paths.SCHEMAS) -> dict:
    return _yaml((schemas_dir / name).read_text(encoding="utf-8"))


def _merge(base: dict, override: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def table_schema(resource: str, schemas_dir: Path = paths.SCHEMAS) -> dict:
    """The Frictionless Table Schema of ``resource``."""
    fields = load_fields(schemas_dir)
    spec = load_resources(schemas_dir)[resource]
    overrides = spec.get("overrides") or {}
    out_fields = []
    for name in spec["fields"]:
        if name not in fields:
            raise SchemaError(f"resource '{resource}' lists field '{name}', which no schemas/fields file defines")
        f = _merge(fields[name], overrides.get(name, {}))
        field = {"name": name, "type": f["type"], "title": f["title"], "description": " ".join(f["description"].split())}
        if f.get("format"):
            field["format"] = f["format"]
        if f.get("constraints"):
            field["constraints"] = f["constraints"]
        if f["type"] == "boolean":
            field["trueValues"], field["falseValues"] = ["true"], ["false"]
        out_fields.append(field)
    schema: dict = {"fields": out_fields, "missingValues": [""]}
    if spec.get("primary_key"):
        schema["primaryKey"] = spec["primary_key"]
    if spec.get("foreign_keys"):
        schema["foreignKeys"] = [
            {"fields": fk["fields"], "reference": {"resource": fk["reference"]["resource"], "fields": fk["reference"]["fields"]}}
            for fk in spec["foreign_keys"]
        ]
    return schema


def schema_json(resource: str, schemas_dir: Path = paths.SCHEMAS) -> str:
    return json.dumps(table_schema(resource, schemas_dir), ensure_ascii=False, indent=2) + "\n"


def write_table_schemas(target_dir: Path, schemas_dir: Path = paths.SCHEMAS) -> list[Path]:
    target_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in load_resources(schemas_dir):
        path = target_dir / f"{name}.schema.json"
        path.write_text(schema_json(name, schemas_dir), encoding="utf-8")
        written.append(path)
    return written
