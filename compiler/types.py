"""Value types of the policy language, as the checker infers them and the emitters read them."""

from __future__ import annotations

from dataclasses import dataclass

# Base kinds. `enum` and `record` carry the declared name; `list` carries its item type.
SCALARS = ("money", "percent", "int", "number", "duration", "datetime", "date", "bool", "text")
ORDERED = ("money", "percent", "int", "number", "duration", "datetime", "date")
NUMERIC = ("int", "number")

# Korean words for kinds, used in diagnostics help and docs.
KIND_WORDS = {
    "money": "an amount of money",
    "percent": "a percentage",
    "int": "a whole number",
    "number": "a number",
    "duration": "a duration",
    "datetime": "a date and time",
    "date": "a date",
    "bool": "true or false",
    "text": "a text",
    "enum": "one of the listed values",
    "record": "a record",
    "list": "a list",
}


@dataclass(frozen=True, slots=True)
class Type:
    kind: str
    name: str | None = None  # enum or record name
    item: "Type | None" = None  # list element type
    optional: bool = False

    def required(self) -> "Type":
        return Type(self.kind, self.name, self.item, False) if self.optional else self

    def as_optional(self) -> "Type":
        return Type(self.kind, self.name, self.item, True)

    def show(self) -> str:
        if self.kind == "list":
            base = f"list of {self.item.show() if self.item else '?'}"
        elif self.kind in ("enum", "record"):
            base = str(self.name)
        else:
            base = self.kind
        return f"optional {base}" if self.optional else base

    def same_base(self, other: "Type") -> bool:
        if self.kind in NUMERIC and other.kind in NUMERIC:
            return True
        if self.kind != other.kind:
            return False
        if self.kind in ("enum", "record"):
            return self.name == other.name
        if self.kind == "list":
            return self.item is not None and other.item is not None and self.item.same_base(other.item)
        return True


MONEY = Type("money")
PERCENT = Type("percent")
INT = Type("int")
NUMBER = Type("number")
DURATION = Type("duration")
DATETIME = Type("datetime")
DATE = Type("date")
BOOL = Type("bool")
TEXT = Type("text")
ERROR = Type("error")  # an expression already reported; suppresses follow-on errors
