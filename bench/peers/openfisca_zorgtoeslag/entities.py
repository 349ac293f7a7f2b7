from __future__ import annotations

from openfisca_core.entities import build_entity

Person = build_entity(
    key="person", plural="persons", label="Aanvrager", doc="The person who applies.", is_person=True,
)

ENTITIES = [Person]
