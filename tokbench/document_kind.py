"""Every JSON file tokbench writes names its kind ("schema") and the version of its layout
("schema_version"); reading one back starts by checking both, in one line a user can act on."""

from __future__ import annotations

from tokbench.errors import UserError


def check_document_kind(doc: object, where: str, *, schema: str, version: int, what: str, kind: str) -> dict:
    """`doc` if it is a `schema` document this tokbench can read; else UserError naming `where`.

    `what` names the kind in prose ("results file"), `kind` in the version message ("results").
    A version newer than `version` is refused (fields may have changed meaning); older ones are
    the reader's to handle.
    """
    if not isinstance(doc, dict) or doc.get("schema") != schema:
        raise UserError(f"{where}: not a tokbench {what} (its \"schema\" is not {schema!r})")
    found = doc.get("schema_version")
    if isinstance(found, int) and found > version:
        raise UserError(f"{where}: written with {kind} schema_version {found}; this tokbench reads up to {version} "
                        "(upgrade tokbench)")
    return doc
