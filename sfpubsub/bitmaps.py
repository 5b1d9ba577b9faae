"""Change events name their changed and nulled fields by bitmaps over the event schema."""

from __future__ import annotations


def field_names(schema: dict, bitmaps: list[str]) -> list[str]:
    """The field names a changedFields/nulledFields list of bitmaps stands for: bit n of the
    first bitmap is the schema's field n; "p-0xNN" names parts of the compound field at p
    (Pub/Sub API guide, "Event Deserialization Considerations")."""
    fields = schema["fields"]
    names: list[str] = []
    for bitmap in bitmaps:
        parent, _, bits = bitmap.rpartition("-")
        value = int(bits, 16)
        if parent:
            compound = fields[int(parent)]
            nested = next(t for t in compound["type"] if isinstance(t, dict))["fields"]
            names += [f"{compound['name']}.{f['name']}" for i, f in enumerate(nested)
                      if value >> i & 1]
        else:
            names += [f["name"] for i, f in enumerate(fields) if value >> i & 1]
    return names
