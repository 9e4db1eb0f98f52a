"""The people who sign in on the login page: a login, a role, an Argon2id password hash.

Checking a password costs the same time whether the login exists or not (see
:class:`auth.credentials.Passwords`), and a hash made with older parameters is replaced by
one with the current ones at the next successful login.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from auth.credentials import MIN_PASSWORD_LENGTH, Passwords
from auth.errors import RegistrationError
from auth.models import LOGIN_LENGTH, UserRow
from auth.principal import Role

__all__ = ["LOGIN_PATTERN", "User", "UserStore"]

#: What a login may be: letters, digits and ``. _ @ -``, starting with a letter or digit.
LOGIN_PATTERN: Final = re.compile(rf"^[A-Za-z0-9][A-Za-z0-9._@-]{{0,{LOGIN_LENGTH - 1}}}$")


@dataclass(frozen=True, slots=True)
class User:
    """A user, as the grants and the tokens see one (never the password hash)."""

    login: str
    role: Role
    created_at: int

    @property
    def subject(self) -> str:
        """The ``sub`` of this user's tokens."""
        return f"user:{self.login}"

    def get_user_id(self) -> str:
        return self.subject


class UserStore:
    """The users, in the SQL database ``engine``; passwords through ``passwords``."""

    def __init__(self, engine: Engine, passwords: Passwords, *,
                 clock: Callable[[], float] = time.time) -> None:
        self._engine = engine
        self._passwords = passwords
        self._clock = clock

    def create(self, login: str, role: Role | str, password: str) -> User:
        """Register a user.

        Raises:
            RegistrationError: a malformed login, an unknown role, a password shorter than
                :data:`MIN_PASSWORD_LENGTH`, or a login already taken.
        """
        if not LOGIN_PATTERN.match(login):
            raise RegistrationError(
                f"--login {login!r} is not a login: 1 to {LOGIN_LENGTH} letters, digits or "
                "'. _ @ -', starting with a letter or a digit")
        try:
            role = Role(role)
        except ValueError:
            raise RegistrationError(f"--role {role!r} is not a role; roles: "
                                    f"{', '.join(r.value for r in Role)}") from None
        if len(password) < MIN_PASSWORD_LENGTH:
            raise RegistrationError(f"the password must have at least {MIN_PASSWORD_LENGTH} "
                                    "characters")
        created_at = int(self._clock())
        row = UserRow(login=login, password_hash=self._passwords.hash(password),
                      role=role.value, created_at=created_at)
        try:
            with Session(self._engine) as session:
                session.add(row)
                session.commit()
        except IntegrityError:
            raise RegistrationError(f"the login {login!r} is taken") from None
        return User(login=login, role=role, created_at=created_at)

    def set_password(self, login: str, password: str) -> None:
        """Give ``login`` a new password.

        Raises:
            RegistrationError: no such user, or a password that is too short.
        """
        if len(password) < MIN_PASSWORD_LENGTH:
            raise RegistrationError(f"the password must have at least {MIN_PASSWORD_LENGTH} "
                                    "characters")
        with Session(self._engine) as session:
            row = session.get(UserRow, login)
            if row is None:
                raise RegistrationError(f"no user has the login {login!r}")
            row.password_hash = self._passwords.hash(password)
            session.add(row)
            session.commit()

    def get(self, login: str) -> User | None:
        """The enabled user ``login``, or ``None``."""
        with Session(self._engine) as session:
            row = session.get(UserRow, login)
            if row is None or row.disabled_at is not None:
                return None
            return User(login=row.login, role=Role(row.role), created_at=row.created_at)

    def list(self) -> list[User]:
        with Session(self._engine) as session:
            rows = session.exec(select(UserRow).order_by(UserRow.login)).all()
            return [User(login=r.login, role=Role(r.role), created_at=r.created_at)
                    for r in rows]

    def authenticate(self, login: str, password: str) -> User | None:
        """The user whose login and password these are, or ``None`` (whichever is wrong)."""
        with Session(self._engine) as session:
            row = session.get(UserRow, login) if LOGIN_PATTERN.match(login) else None
            usable = row is not None and row.disabled_at is None
            if not self._passwords.verify(row.password_hash if usable and row else None,
                                          password):
                return None
            assert row is not None
            if self._passwords.needs_rehash(row.password_hash):
                row.password_hash = self._passwords.hash(password)
                session.add(row)
                session.commit()
            return User(login=row.login, role=Role(row.role), created_at=row.created_at)
