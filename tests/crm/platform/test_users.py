"""Accounts: creation rules, roles, deactivation, password resets, and who may manage them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crm.platform.errors import PermissionDenied, ValidationError
from crm.platform.permissions import SYSTEM
from crm.platform.users import (
    create_first_admin,
    create_user,
    has_users,
    list_users,
    reset_password,
    set_active,
    set_role,
)
from db.engine import Sessions
from db.models import User


def make(sessions: Sessions, username: str, role: str = "staff", password: str = "password-1"):  # type: ignore[no-untyped-def]
    return create_user(
        sessions, actor=SYSTEM, username=username, display_name=username.title(), password=password, role=role
    )


def test_passwords_are_stored_as_bcrypt_hashes(sessions: Sessions) -> None:
    make(sessions, "alice", password="correct-horse")
    with sessions.read() as session:
        stored = session.scalar(select(User.password_hash).where(User.username == "alice"))
    assert stored and stored.startswith("$2") and "correct-horse" not in stored


def test_new_user_is_validated_field_by_field(sessions: Sessions) -> None:
    with pytest.raises(ValidationError) as caught:
        create_user(
            sessions, actor=SYSTEM, username="A", display_name=" ", password="short", role="king", email="not-an-email"
        )
    assert set(caught.value.fields) == {"username", "display_name", "password", "role", "email"}
    assert caught.value.fields["password"] == ("validation.password_short", {"min": 10})
    assert not has_users(sessions)


def test_usernames_are_unique_ignoring_case(sessions: Sessions) -> None:
    make(sessions, "alice")
    with pytest.raises(ValidationError) as caught:
        make(sessions, "ALICE")
    assert caught.value.fields["username"][0] == "validation.username_taken"


def test_only_admins_manage_users(sessions: Sessions) -> None:
    manager = make(sessions, "mgr", "manager").as_actor()
    with pytest.raises(PermissionDenied):
        create_user(sessions, actor=manager, username="newbie", display_name="N", password="password-1", role="staff")
    staff = make(sessions, "bob").as_actor()
    with pytest.raises(PermissionDenied):
        set_role(sessions, actor=staff, user_id=staff.id, role="admin")  # type: ignore[arg-type]


def test_first_admin_only_on_an_empty_database(sessions: Sessions) -> None:
    admin = create_first_admin(sessions, username="root", display_name="Root", password="password-1")
    assert admin.role == "admin"
    with pytest.raises(PermissionDenied):
        create_first_admin(sessions, username="root2", display_name="Root", password="password-1")


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(sessions: Sessions) -> None:
    admin = make(sessions, "root", "admin")
    with pytest.raises(ValidationError) as caught:
        set_role(sessions, actor=SYSTEM, user_id=admin.id, role="staff")
    assert caught.value.fields["role"][0] == "validation.last_admin"
    with pytest.raises(ValidationError):
        set_active(sessions, actor=SYSTEM, user_id=admin.id, active=False)
    second = make(sessions, "root2", "admin")
    assert set_role(sessions, actor=second.as_actor(), user_id=admin.id, role="staff").role == "staff"


def test_admins_cannot_deactivate_themselves(sessions: Sessions) -> None:
    admin = make(sessions, "root", "admin")
    make(sessions, "root2", "admin")
    with pytest.raises(ValidationError) as caught:
        set_active(sessions, actor=admin.as_actor(), user_id=admin.id, active=False)
    assert caught.value.fields["is_active"][0] == "validation.self_deactivate"


def test_role_change_and_deactivation_and_reset_are_listed(sessions: Sessions) -> None:
    admin = make(sessions, "root", "admin").as_actor()
    bob = make(sessions, "bob")
    set_role(sessions, actor=admin, user_id=bob.id, role="manager")
    set_active(sessions, actor=admin, user_id=bob.id, active=False)
    reset_password(sessions, actor=admin, user_id=bob.id, new_password="another-pass")
    listed = {u.username: u for u in list_users(sessions, actor=admin)}
    assert listed["bob"].role == "manager" and not listed["bob"].is_active


def test_users_may_change_their_own_password_but_not_others(sessions: Sessions) -> None:
    bob = make(sessions, "bob").as_actor()
    carol = make(sessions, "carol")
    reset_password(sessions, actor=bob, user_id=bob.id, new_password="brand-new-1")  # type: ignore[arg-type]
    with pytest.raises(PermissionDenied):
        reset_password(sessions, actor=bob, user_id=carol.id, new_password="brand-new-1")
