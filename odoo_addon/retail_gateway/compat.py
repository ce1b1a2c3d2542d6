"""Every difference between the Odoo series the addon supports (18.0 and 19.0), in one place.

The rest of the addon is written against what both series share and asks this module for the rest:

- ``sql_constraints``: 19.0 ignores ``_sql_constraints`` (it declares ``models.Constraint`` class
  attributes instead); the decorator turns the list into those attributes on 19.0, under the same
  database names as 18.0 gives them (``<table>_<key>``).
- ``domain_or``: 19.0 deprecates ``odoo.osv.expression`` for ``odoo.fields.Domain``.
- ``is_test_cursor``: ``TestCursor`` moved from ``odoo.sql_db`` to ``odoo.tests.test_cursor``.
- ``USER_GROUPS_FIELD`` / ``GROUP_USERS_FIELD`` / ``group_users``: ``res.users.groups_id`` became ``group_ids`` and
  ``res.groups.users`` became ``user_ids``.
- ``partner_phone`` / ``PARTNER_PHONE_FIELDS``: 19.0 removed ``res.partner.mobile``.
- ``sale_line_taxes``: ``sale.order.line.tax_id`` became ``tax_ids``.
- ``setup_groups``: 18.0 files groups under an ``ir.module.category``; 19.0 under a
  ``res.groups.privilege`` (which belongs to the category). The security XML declares the groups
  with the fields both series share and calls this for the rest.
"""

from odoo import Command, models, release
from odoo.sql_db import Cursor

ODOO_MAJOR = release.version_info[0]
IS_19 = ODOO_MAJOR >= 19

USER_GROUPS_FIELD = "group_ids" if IS_19 else "groups_id"
GROUP_USERS_FIELD = "user_ids" if IS_19 else "users"
PARTNER_PHONE_FIELDS = ("phone",) if IS_19 else ("phone", "mobile")

if IS_19:
    from odoo.fields import Domain
else:
    from odoo.osv import expression


def sql_constraints(cls):
    """Class decorator: the class's ``_sql_constraints`` become SQL constraints on either series."""
    if not IS_19:
        return cls
    specs = cls.__dict__.get("_sql_constraints", ())
    for key, definition, message in specs:
        constraint = models.Constraint(definition, message)
        attribute = f"_{key}"
        setattr(cls, attribute, constraint)
        constraint.__set_name__(cls, attribute)
    if "_sql_constraints" in cls.__dict__:
        delattr(cls, "_sql_constraints")
    return cls


def group_users(group):
    """The users put in ``group`` itself (not through an implying group)."""
    return group[GROUP_USERS_FIELD]


def domain_or(domains):
    """The union of ``domains`` as a domain list."""
    if IS_19:
        return list(Domain.OR(domains))
    return expression.OR(domains)


def is_test_cursor(cr):
    """Whether ``cr`` is a test cursor (a savepoint inside the test's transaction), not a connection."""
    return not isinstance(cr, Cursor)


def partner_phone(partner):
    """The partner's phone number (18.0: else its mobile number); ``None`` when it has none."""
    if partner.phone:
        return partner.phone
    return (partner["mobile"] if "mobile" in partner._fields else None) or None


def sale_line_taxes(line):
    """The taxes of a sale order line."""
    return line.tax_ids if IS_19 else line.tax_id


def setup_groups(env, category_xmlid, groups_xmlids, hidden_xmlids=(), privilege_xmlid=None, users=None):
    """Files the addon's groups for display and gives them their first users.

    ``groups_xmlids`` are shown under the category (19.0: under a privilege of that category, created
    as ``privilege_xmlid``); ``hidden_xmlids`` under no category a user edits (18.0: Hidden; 19.0: no
    privilege). ``users`` maps a group's xml id to the users' xml ids added to it.
    """
    category = env.ref(category_xmlid)
    groups = env["res.groups"].browse([env.ref(xmlid).id for xmlid in groups_xmlids])
    hidden = env["res.groups"].browse([env.ref(xmlid).id for xmlid in hidden_xmlids])
    if IS_19:
        privilege = env.ref(privilege_xmlid, raise_if_not_found=False)
        values = {"name": category.name, "category_id": category.id, "sequence": category.sequence}
        if privilege:
            privilege.write(values)
        else:
            privilege = env["res.groups.privilege"].create(values)
        # Also when it exists: an xml id not loaded during a module update is deleted with its record.
        env["ir.model.data"]._update_xmlids(
            [{"xml_id": privilege_xmlid, "record": privilege, "noupdate": False}], update=True
        )
        groups.write({"privilege_id": privilege.id})
        hidden.write({"privilege_id": False})
    else:
        groups.write({"category_id": category.id})
        hidden.write({"category_id": env.ref("base.module_category_hidden").id})
    for group_xmlid, user_xmlids in (users or {}).items():
        user_ids = [user.id for user in (env.ref(x, raise_if_not_found=False) for x in user_xmlids) if user]
        env.ref(group_xmlid).write({GROUP_USERS_FIELD: [Command.link(uid) for uid in user_ids]})
