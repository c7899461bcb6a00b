"""Vocabulary shared by several domains."""

from enum import StrEnum


class Language(StrEnum):
    de = "de"
    en = "en"


class Role(StrEnum):
    admin = "admin"
    consultant = "consultant"
    client = "client"
