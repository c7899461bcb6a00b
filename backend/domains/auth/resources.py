"""How the API sees the team's and the clients' user accounts."""

from __future__ import annotations

from backend.domains.auth.models import User, UserCreate, UserRead, UserUpdate, UserValues
from backend.domains.auth.service import prepare_user
from backend.domains.crud import STAFF, CrudService, Resource
from backend.kernel.enums import Role
from backend.kernel.redaction import erased_row

users = Resource(
    name="users",
    entity="user",
    model=User,
    read=UserRead,
    create=UserCreate,
    update=UserUpdate,
    check=UserValues,
    filters={"role": (Role, User.role), "client_id": (int, User.client_id)},
    sortable=("id", "email", "full_name", "created_at"),
    # The team sees who is who (to pick a lead consultant); only admins change users.
    read_roles=STAFF,
    write_roles=frozenset({Role.admin}),
    prepare=prepare_user,
    deletable=False,  # deactivate with is_active=false; audit rows keep pointing at the user
    always_apply=("is_active",),
    edit_guard=erased_row,
    example={
        "email": "anna.berater@example.de",
        "full_name": "Anna Berater",
        "role": "consultant",
        "password": "ein-langes-passwort",
    },
)

user_service = CrudService(users)
