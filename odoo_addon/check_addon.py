#!/usr/bin/env python3
"""Static checks of the Odoo addons in this folder; standard library only, no Odoo needed.

Checks, for every addon (a folder with ``__manifest__.py``):

- every ``.py`` file compiles and every ``.xml`` file parses;
- the manifest has ``name``, a series-neutral ``version`` ``x.y.z`` (Odoo 18.0 and 19.0 both prefix it
  with their series; ``18.0.x.y.z`` would make the addon uninstallable on 19.0), ``depends``, ``data``,
  ``license`` and ``installable``; every data file it lists exists, and every XML/CSV file of the data folders
  is listed;
- ``ir.model.access.csv`` rows name models the addon defines (``_name``) or other modules' models
  (``module.model_x``), and groups defined in the addon's XML or other modules' groups; every model
  the addon defines (``Model``/``TransientModel``) has at least one access row;
- ``ref=``, ``ref('...')``, ``groups=`` and ``parent``/``action`` references to the addon's own XML
  ids resolve (in XML and in Python ``groups=`` field arguments);
- in the views of the addon's models, every field and ``type="object"`` button exists on the model
  (nested list/form views are checked against the relation's model); in views that extend other
  modules' models, the addon's own fields (``rg_``) exist on its extension of that model;
- what differs between Odoo 18.0 and 19.0 goes through ``compat.py``: no other file imports
  ``TestCursor`` or ``odoo.osv.expression``, every class with ``_sql_constraints`` is decorated with
  ``@sql_constraints``, no Python names a field of one series only (``mobile``, ``groups_id``,
  ``users``, ``tax_id``...) and no XML record sets a series-specific field of ``res.groups``/``res.users``.

Usage: ``python3 odoo_addon/check_addon.py [addon_dir ...]``. Exit code 1 lists every problem.
"""

import ast
import csv
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VERSION_RE = re.compile(r"^\d+\.\d+\.\d+$")
# Field names that exist in only one of the supported series (18.0 -> 19.0), by model.
SERIES_SPECIFIC_FIELDS = {
    "res.groups": {"users", "user_ids", "category_id", "privilege_id"},
    "res.users": {"groups_id", "group_ids"},
}
# Attributes/keys that name a field of one series only (res.partner.mobile, res.users.groups_id,
# res.groups.users, sale.order.line.tax_id on 18.0); compat.py gives the series-neutral way.
SERIES_SPECIFIC_NAMES = {"mobile", "groups_id", "group_ids", "users", "tax_id"}
# As string constants (field names in values dicts) only the unambiguous ones: "users" or "mobile"
# may well be words of a payload.
SERIES_SPECIFIC_KEYS = {"groups_id", "group_ids", "tax_id"}
COMPAT_ONLY_IMPORTS = {"odoo.osv.expression", "odoo.osv", "odoo.sql_db", "odoo.tests.test_cursor", "odoo.fields.Domain"}
REQUIRED_MANIFEST_KEYS = ("name", "version", "depends", "data", "license", "installable")
DATA_DIRS = ("data", "security", "views", "wizards", "wizard", "report", "reports")
MAGIC_FIELDS = {"id", "display_name", "create_date", "create_uid", "write_date", "write_uid"}
# Fields brought by the standard mixins the addon's models may inherit.
MIXIN_FIELDS = {
    "mail.thread": {
        "message_ids", "message_follower_ids", "message_partner_ids", "message_is_follower",
        "message_has_error", "message_attachment_count", "has_message", "message_needaction",
        "website_message_ids",
    },
    "mail.activity.mixin": {
        "activity_ids", "activity_state", "activity_user_id", "activity_type_id", "activity_date_deadline",
        "activity_summary", "activity_exception_decoration", "my_activity_date_deadline",
    },
}
FIELD_TYPES = {
    "Boolean", "Integer", "Float", "Monetary", "Char", "Text", "Html", "Date", "Datetime", "Selection",
    "Many2one", "One2many", "Many2many", "Binary", "Image", "Json", "Reference", "Many2oneReference",
    "Properties", "PropertiesDefinition",
}
RELATIONAL = {"Many2one", "One2many", "Many2many"}


class Model:
    def __init__(self, name, kind):
        self.name = name
        self.kind = kind  # Model, TransientModel, AbstractModel, or None for pure extensions
        self.fields = {}  # name -> comodel (or None)
        self.methods = set()
        self.inherits = set()
        self.defined_here = False


def literal(node):
    try:
        return ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError):
        return None


class Checker:
    def __init__(self, addon):
        self.addon = addon
        self.module = addon.name
        self.problems = []
        self.models = {}
        self.xml_ids = set()
        self.python_group_refs = []  # (file, line, xmlid)

    def problem(self, where, message):
        self.problems.append(f"{where}: {message}")

    def rel(self, path):
        return path.relative_to(ROOT.parent) if ROOT.parent in path.parents else path

    # ------------------------------------------------------------------ python

    def check_python(self):
        for path in sorted(self.addon.rglob("*.py")):
            source = path.read_text(encoding="utf-8")
            try:
                tree = compile(source, str(path), "exec", ast.PyCF_ONLY_AST)
            except SyntaxError as error:
                self.problem(self.rel(path), f"does not compile: {error}")
                continue
            if path.name != "compat.py":
                self.check_compat_use(path, tree)
            if "tests" in path.relative_to(self.addon).parts:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef):
                    self.read_class(path, node)

    def check_compat_use(self, path, tree):
        """Series differences go through compat.py (see its docstring)."""
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = {f"{node.module}.{alias.name}" for alias in node.names}
                if node.module in COMPAT_ONLY_IMPORTS or names & COMPAT_ONLY_IMPORTS:
                    self.problem(f"{self.rel(path)}:{node.lineno}", f"imports from {node.module}: use compat.py")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in COMPAT_ONLY_IMPORTS:
                        self.problem(f"{self.rel(path)}:{node.lineno}", f"imports {alias.name}: use compat.py")
            elif isinstance(node, ast.Attribute) and node.attr in SERIES_SPECIFIC_NAMES:
                self.problem(f"{self.rel(path)}:{node.lineno}", f".{node.attr} exists in one Odoo series only: use compat.py")
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in SERIES_SPECIFIC_KEYS:
                self.problem(f"{self.rel(path)}:{node.lineno}", f"{node.value!r} names a field of one Odoo series only: use compat.py")
            elif isinstance(node, ast.ClassDef):
                has_constraints = any(
                    isinstance(s, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "_sql_constraints" for t in s.targets)
                    for s in node.body
                )
                decorated = any(getattr(d, "id", getattr(d, "attr", None)) == "sql_constraints" for d in node.decorator_list)
                if has_constraints and not decorated:
                    self.problem(
                        f"{self.rel(path)}:{node.lineno}",
                        f"class {node.name} has _sql_constraints without @sql_constraints (19.0 would ignore them)",
                    )

    def read_class(self, path, node):
        kind = None
        for base in node.bases:
            base_name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", None)
            if base_name in ("Model", "TransientModel", "AbstractModel"):
                kind = base_name
        if kind is None:
            return
        attrs = {}
        for statement in node.body:
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1 and isinstance(statement.targets[0], ast.Name):
                attrs[statement.targets[0].id] = statement.value
        name = literal(attrs["_name"]) if "_name" in attrs else None
        inherit = literal(attrs["_inherit"]) if "_inherit" in attrs else None
        inherit = [inherit] if isinstance(inherit, str) else list(inherit or [])
        model_name = name or (inherit[0] if inherit else None)
        if not model_name:
            self.problem(self.rel(path), f"class {node.name} has neither _name nor _inherit")
            return
        model = self.models.setdefault(model_name, Model(model_name, None))
        if name and name not in inherit:
            model.kind = kind
            model.defined_here = True
        model.inherits.update(i for i in inherit if i != model_name)
        for statement in node.body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                model.methods.add(statement.name)
            if not (isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Call)):
                continue
            call = statement.value
            func = call.func
            if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "fields"):
                continue
            if func.attr not in FIELD_TYPES:
                continue
            comodel = None
            if func.attr in RELATIONAL:
                comodel = literal(call.args[0]) if call.args else None
                for keyword in call.keywords:
                    if keyword.arg == "comodel_name":
                        comodel = literal(keyword.value)
            for target in statement.targets:
                if isinstance(target, ast.Name):
                    model.fields[target.id] = comodel
            for keyword in call.keywords:
                if keyword.arg == "groups":
                    value = literal(keyword.value)
                    if value is None and isinstance(keyword.value, ast.Name):
                        value = self.resolve_constant(path, keyword.value.id)
                    for group in (value or "").split(","):
                        if group.strip():
                            self.python_group_refs.append((path, statement.lineno, group.strip()))

    def resolve_constant(self, path, name):
        """Resolves a module-level string constant (possibly imported from ``utils``)."""
        for candidate in [path, *self.addon.glob("*.py")]:
            tree = ast.parse(candidate.read_text(encoding="utf-8"))
            for node in tree.body:
                if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                    return literal(node.value)
        return None

    def all_fields(self, model_name, seen=None):
        seen = seen or set()
        if model_name in seen:
            return set(), True
        seen.add(model_name)
        model = self.models.get(model_name)
        fields = set(MAGIC_FIELDS)
        complete = True
        if model is None:
            return fields | MIXIN_FIELDS.get(model_name, set()), model_name in MIXIN_FIELDS
        fields |= set(model.fields)
        if not model.defined_here:
            complete = False  # an extension of another module's model
        for parent in model.inherits:
            parent_fields, parent_complete = self.all_fields(parent, seen)
            fields |= parent_fields
            complete = complete and parent_complete
        return fields, complete

    def all_methods(self, model_name):
        model = self.models.get(model_name)
        if model is None:
            return set()
        methods = set(model.methods)
        for parent in model.inherits:
            methods |= self.all_methods(parent)
        return methods

    def comodel(self, model_name, field_name):
        model = self.models.get(model_name)
        if model is None:
            return None
        if field_name in model.fields:
            return model.fields[field_name]
        for parent in model.inherits:
            found = self.comodel(parent, field_name)
            if found:
                return found
        return None

    # ------------------------------------------------------------------ manifest

    def check_manifest(self):
        path = self.addon / "__manifest__.py"
        try:
            manifest = ast.literal_eval(path.read_text(encoding="utf-8"))
        except (ValueError, SyntaxError) as error:
            self.problem(self.rel(path), f"is not a Python literal: {error}")
            return []
        for key in REQUIRED_MANIFEST_KEYS:
            if key not in manifest:
                self.problem(self.rel(path), f"missing key {key!r}")
        if not VERSION_RE.match(str(manifest.get("version", ""))):
            self.problem(self.rel(path), f"version {manifest.get('version')!r} is not x.y.z (series-neutral)")
        if not isinstance(manifest.get("depends"), list) or not manifest.get("depends"):
            self.problem(self.rel(path), "depends must be a non-empty list")
        if manifest.get("installable") is not True:
            self.problem(self.rel(path), "installable must be True")
        data = manifest.get("data", [])
        for entry in data:
            if not (self.addon / entry).is_file():
                self.problem(self.rel(path), f"data file {entry} does not exist")
        listed = set(data) | set(manifest.get("demo", []))
        for folder in DATA_DIRS:
            for file in sorted((self.addon / folder).glob("**/*")):
                if file.suffix in (".xml", ".csv"):
                    relative = file.relative_to(self.addon).as_posix()
                    if relative not in listed:
                        self.problem(self.rel(file), "is not listed in the manifest")
        return [self.addon / entry for entry in data if (self.addon / entry).is_file()]

    # ------------------------------------------------------------------ xml

    def parse_xml(self):
        trees = {}
        for path in sorted(self.addon.rglob("*.xml")):
            try:
                trees[path] = ET.parse(path)
            except ET.ParseError as error:
                self.problem(self.rel(path), f"does not parse: {error}")
        for path, tree in trees.items():
            for element in tree.iter():
                if element.tag in ("record", "menuitem", "template") and element.get("id"):
                    self.xml_ids.add(self.local_id(element.get("id")))
        return trees

    def local_id(self, xmlid):
        module, _, name = xmlid.rpartition(".")
        return name if module in ("", self.module) else xmlid

    def is_own(self, xmlid):
        module, _, _name = xmlid.rpartition(".")
        return module in ("", self.module)

    def check_reference(self, where, xmlid):
        if self.is_own(xmlid) and self.local_id(xmlid) not in self.xml_ids:
            self.problem(where, f"reference to unknown XML id {xmlid!r}")

    def check_xml_references(self, trees):
        ref_call = re.compile(r"ref\(\s*['\"]([\w.]+)['\"]\s*\)")
        for path, tree in trees.items():
            where = self.rel(path)
            for element in tree.iter():
                references = []
                if element.tag == "menuitem":
                    references += [element.get("parent"), element.get("action")]
                if element.tag == "field":
                    references.append(element.get("ref"))
                if element.tag == "record" and element.get("model") in SERIES_SPECIFIC_FIELDS:
                    for field in element.findall("field"):
                        if field.get("name") in SERIES_SPECIFIC_FIELDS[element.get("model")]:
                            self.problem(
                                where,
                                f"record {element.get('id')} sets {element.get('model')}.{field.get('name')}, "
                                "which exists in one Odoo series only: set it through compat.py",
                            )
                for attribute in ("eval", "domain_force", "context"):
                    references += ref_call.findall(element.get(attribute) or "")
                references += [g.strip().lstrip("!") for g in (element.get("groups") or "").split(",")]
                for reference in references:
                    if reference:
                        self.check_reference(where, reference)
        for path, line, group in self.python_group_refs:
            self.check_reference(f"{self.rel(path)}:{line}", group)

    def check_views(self, trees):
        for path, tree in trees.items():
            for record in tree.iter("record"):
                if record.get("model") != "ir.ui.view":
                    continue
                model_name = None
                arch = None
                for field in record.findall("field"):
                    if field.get("name") == "model":
                        model_name = (field.text or "").strip()
                    if field.get("name") == "arch":
                        arch = field
                if not model_name or arch is None:
                    continue
                where = f"{self.rel(path)} view {record.get('id')}"
                for root in arch:
                    self.check_arch(where, model_name, root)

    def check_arch(self, where, model_name, element):
        fields, complete = self.all_fields(model_name)
        own_model = model_name in self.models
        if element.tag == "field" and element.get("name"):
            name = element.get("name")
            known = name in fields
            if own_model and complete and not known:
                self.problem(where, f"field {name!r} does not exist on {model_name}")
            elif name.startswith("rg_") and not known:
                self.problem(where, f"field {name!r} is not defined by the addon on {model_name}")
            comodel = self.comodel(model_name, name)
            for child in element:
                if child.tag in ("list", "tree", "form", "kanban"):
                    if comodel:
                        self.check_arch(where, comodel, child)
                    continue
                self.check_arch(where, model_name, child)
            return
        if element.tag == "button" and element.get("type") == "object" and element.get("name"):
            name = element.get("name")
            if name not in self.all_methods(model_name) and (complete or name.startswith(("action_rg_", "_rg_"))):
                if own_model:
                    self.problem(where, f"button method {name!r} does not exist on {model_name}")
        for child in element:
            self.check_arch(where, model_name, child)

    # ------------------------------------------------------------------ access rights

    def check_access(self, group_ids):
        path = self.addon / "security" / "ir.model.access.csv"
        if not path.is_file():
            self.problem(self.rel(self.addon), "security/ir.model.access.csv is missing")
            return
        covered = set()
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            expected = ["id", "name", "model_id:id", "group_id:id", "perm_read", "perm_write", "perm_create", "perm_unlink"]
            if reader.fieldnames != expected:
                self.problem(self.rel(path), f"header must be {','.join(expected)}")
                return
            own_model_ids = {"model_" + name.replace(".", "_"): name for name, m in self.models.items() if m.defined_here}
            for line, row in enumerate(reader, start=2):
                where = f"{self.rel(path)}:{line}"
                model_ref = row["model_id:id"]
                if self.is_own(model_ref):
                    local = self.local_id(model_ref)
                    if local not in own_model_ids:
                        self.problem(where, f"model {model_ref!r} is not defined by the addon")
                    else:
                        covered.add(own_model_ids[local])
                group = row["group_id:id"]
                if group and self.is_own(group) and self.local_id(group) not in group_ids:
                    self.problem(where, f"group {group!r} is not defined in the addon's security XML")
                for perm in ("perm_read", "perm_write", "perm_create", "perm_unlink"):
                    if row[perm] not in ("0", "1"):
                        self.problem(where, f"{perm} must be 0 or 1")
        for name, model in sorted(self.models.items()):
            if model.defined_here and model.kind in ("Model", "TransientModel") and name not in covered:
                self.problem(self.rel(path), f"model {name} has no access row")

    def group_ids(self, trees):
        groups = set()
        for path, tree in trees.items():
            if "security" not in path.relative_to(self.addon).parts:
                continue
            for record in tree.iter("record"):
                if record.get("model") == "res.groups" and record.get("id"):
                    groups.add(self.local_id(record.get("id")))
        return groups

    def automatic_ids(self):
        """The XML ids Odoo creates for the addon's models and their fields."""
        for name, model in self.models.items():
            if model.defined_here:
                model_id = "model_" + name.replace(".", "_")
                self.xml_ids.add(model_id)
                self.xml_ids.update(f"field_{name.replace('.', '_')}__{field}" for field in model.fields)

    def run(self):
        self.check_python()
        self.check_manifest()
        self.automatic_ids()
        trees = self.parse_xml()
        self.check_xml_references(trees)
        self.check_views(trees)
        self.check_access(self.group_ids(trees))
        return self.problems


def main(argv):
    addons = [Path(arg).resolve() for arg in argv] or sorted(p.parent for p in ROOT.glob("*/__manifest__.py"))
    if not addons:
        print(f"no addon found in {ROOT}", file=sys.stderr)
        return 1
    problems = []
    for addon in addons:
        if not (addon / "__manifest__.py").is_file():
            problems.append(f"{addon}: not an addon (no __manifest__.py)")
            continue
        problems.extend(Checker(addon).run())
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return 1
    print(f"ok: {', '.join(a.name for a in addons)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
