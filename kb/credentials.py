"""Signing in to the web pages: a name with its bearer token, or with a password the person
set (argon2id hashes, never the password itself)."""

from __future__ import annotations

import hashlib
import hmac

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session

from kb.errors import InvalidInput, Unauthorized
from kb.models import Person
from kb.people import find_person, hash_token

MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 200
_hasher = PasswordHasher()
# Verified against when the name is unknown, so an unknown name costs as long as a known one.
_DUMMY_HASH = _hasher.hash("not a password anyone has")


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise InvalidInput(f"a password has at most {MAX_PASSWORD_CHARS} characters")


def set_password(session: Session, person: Person, password: str) -> None:
    """Set (or change) a person's password; sessions signed in before it end."""
    check_password_rules(password)
    person.password_hash = _hasher.hash(password)
    session.add(person)


def sign_in(session: Session, name: str, secret: str) -> Person:
    """The enabled person `name` if `secret` is their token or their password, else
    Unauthorized (with one message for every failure, so names cannot be probed)."""
    refused = Unauthorized("name, token or password not recognised")
    person = find_person(session, name.strip()) if name.strip() else None
    if person is None:
        _verify(_DUMMY_HASH, secret)
        raise refused
    by_token = person.token_hash is not None and hmac.compare_digest(
        person.token_hash, hash_token(secret)
    )
    if not by_token and not (person.password_hash and _verify(person.password_hash, secret)):
        raise refused
    if person.disabled:
        raise refused
    return person


def _verify(stored: str, secret: str) -> bool:
    try:
        return _hasher.verify(stored, secret)
    except (VerificationError, InvalidHashError):
        return False


def credential_stamp(person: Person) -> str:
    """Changes whenever the person's token or password does: a session remembers the stamp it
    was signed in with, so a new token or password ends older sessions."""
    material = f"{person.token_hash or ''}|{person.password_hash or ''}|{person.role}"
    return hashlib.sha256(material.encode()).hexdigest()[:16]
