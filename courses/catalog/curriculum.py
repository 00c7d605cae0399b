"""Parse and validate a curriculum YAML file before anything touches the database.

The whole file is checked first and every problem is reported with the file,
the YAML line and the field path (e.g. ``course.lessons[3].techniques[0].name``),
so whoever edits the file can fix it in one go. PyYAML's composed node tree
gives the line of each node; the plain data comes from ``yaml.safe_load``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from courses.commerce.prices import CURRENCY_RE, price_to_minor

# Sentinel for "the file does not give this field": such fields are left
# untouched on update (e.g. times set later in the admin).
MISSING: Any = object()

_SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]+$")


class CurriculumError(Exception):
    """A curriculum file that cannot be loaded; the message is meant for the person editing it."""

    def __init__(self, path: Path | str, problems: list[tuple[int | None, str, str]]):
        self.path = str(path)
        self.problems = problems  # (1-based line or None, field path, message)
        lines = []
        for line, field_path, message in problems:
            where = f"line {line}" if line else "unknown line"
            lines.append(f"  {self.path}, {where}: {field_path}: {message}")
        count = len(problems)
        plural = "s" if count != 1 else ""
        header = f"{self.path} is not a valid curriculum file ({count} problem{plural}):"
        super().__init__("\n".join([header, *lines]))


@dataclass
class TechniqueSpec:
    number: int
    name: str
    lesson_number: int
    path: str  # e.g. "course.lessons[3].techniques[0]", for error messages
    line: int
    description: Any = MISSING
    cautions: Any = MISSING
    start_s: Any = MISSING
    end_s: Any = MISSING


@dataclass
class LessonSpec:
    number: int
    title: str
    path: str
    line: int
    summary: Any = MISSING
    is_preview: Any = MISSING
    techniques: list[TechniqueSpec] = field(default_factory=list)


@dataclass
class CourseSpec:
    slug: str
    title: str
    line: int
    tagline: Any = MISSING
    description: Any = MISSING
    who_it_helps: Any = MISSING
    is_published: Any = MISSING
    requires_access_code: Any = MISSING
    access_code: Any = MISSING
    price_minor: Any = MISSING
    currency: Any = MISSING
    lessons: list[LessonSpec] = field(default_factory=list)


@dataclass
class Curriculum:
    path: Path
    course: CourseSpec
    lines: dict[str, int]

    def line_of(self, field_path: str) -> int | None:
        return self.lines.get(field_path)


# field name -> (python types, required, max length or None)
_STR = (str,)
_BOOL = (bool,)
_INT = (int,)
_NUM = (int, float)
_LIST = (list,)
_AMOUNT = (str, int, float)
COURSE_FIELDS = {
    "slug": (_STR, True, 50),
    "title": (_STR, True, 200),
    "tagline": (_STR, False, 300),
    "description": (_STR, False, None),
    "who_it_helps": (_STR, False, None),
    "is_published": (_BOOL, False, None),
    "requires_access_code": (_BOOL, False, None),
    "access_code": (_STR, False, 64),
    "price": (_AMOUNT, False, None),  # "149.00": major units, as people write prices
    "currency": (_STR, False, None),
    "lessons": (_LIST, True, None),
}
LESSON_FIELDS = {
    "number": (_INT, True, None),
    "title": (_STR, True, 200),
    "summary": (_STR, False, None),
    "is_preview": (_BOOL, False, None),
    "techniques": (_LIST, False, None),
}
TECHNIQUE_FIELDS = {
    "number": (_INT, True, None),
    "name": (_STR, True, 200),
    "description": (_STR, False, None),
    "cautions": (_STR, False, None),
    "start_s": (_NUM, False, None),
    "end_s": (_NUM, False, None),
}
_TYPE_NAMES = {_STR: "text", _BOOL: "true or false", _INT: "a whole number", _NUM: "a number"}
_TYPE_NAMES[_LIST] = "a list"
_TYPE_NAMES[_AMOUNT] = "an amount such as 149.00"


def _node_lines(node: yaml.Node, path: str, lines: dict[str, int], dupes: list[str]) -> None:
    """Record the 1-based line of every field (its key) and list item (its first line)."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = f"{path}.{key}" if path else key
            if child in lines:
                dupes.append(child)
            lines[child] = key_node.start_mark.line + 1
            _node_lines(value_node, child, lines, dupes)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = f"{path}[{index}]"
            lines[child] = item.start_mark.line + 1
            _node_lines(item, child, lines, dupes)


class _Checker:
    def __init__(self, lines: dict[str, int]):
        self.lines = lines
        self.problems: list[tuple[int | None, str, str]] = []

    def error(self, field_path: str, message: str, line_path: str | None = None) -> None:
        self.problems.append((self.lines.get(line_path or field_path), field_path, message))

    def fields(self, data: Any, path: str, spec: dict, what: str) -> dict | None:
        """Type-check one mapping; return the valid values (None if it is not a mapping)."""
        if not isinstance(data, dict):
            self.error(path, f"must be a {what} (a mapping of fields)")
            return None
        values = {}
        for name in data:
            if name not in spec:
                known = ", ".join(spec)
                self.error(f"{path}.{name}", f"unknown field (expected one of: {known})")
        for name, (types, required, max_length) in spec.items():
            field_path = f"{path}.{name}"
            if name not in data:
                if required:
                    self.error(field_path, f"required field '{name}' is missing", line_path=path)
                continue
            value = data[name]
            if value is None and not required:
                continue  # `start_s:` with no value reads as "not given"
            # bool is a subclass of int in Python; `number: true` is a mistake, not 1.
            if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
                got = "nothing" if value is None else type(value).__name__
                self.error(field_path, f"must be {_TYPE_NAMES[types]}, got {got}")
                continue
            if types is _STR and required and not value.strip():
                self.error(field_path, "must not be empty")
                continue
            if max_length and len(value) > max_length:
                self.error(
                    field_path, f"is {len(value)} characters long; the maximum is {max_length}"
                )
                continue
            values[name] = value
        return values


def curriculum_parse(*, path: Path) -> Curriculum:
    """Read and validate a curriculum file; raise CurriculumError listing every problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CurriculumError(path, [(None, "(file)", f"cannot read the file: {exc}")]) from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = " ".join(filter(None, [exc.context, exc.problem]))
        raise CurriculumError(path, [(line, "(YAML syntax)", problem)]) from None
    except yaml.YAMLError as exc:
        raise CurriculumError(path, [(None, "(YAML syntax)", str(exc))]) from None

    lines: dict[str, int] = {}
    dupes: list[str] = []
    if root is not None:
        _node_lines(root, "", lines, dupes)
    check = _Checker(lines)
    for dupe in dupes:
        check.error(dupe, "appears twice in the same mapping; keep only one")

    if not isinstance(data, dict) or "course" not in data:
        check.error("course", "the file must start with a top-level 'course:' mapping")
        raise CurriculumError(path, check.problems)
    for extra in data:
        if extra != "course":
            check.error(extra, "unknown top-level field (only 'course' is expected)")

    course_values = check.fields(data["course"], "course", COURSE_FIELDS, "course")
    if course_values is None:
        raise CurriculumError(path, check.problems)
    slug = course_values.get("slug")
    if slug is not None and not _SLUG_RE.match(slug):
        check.error("course.slug", "may contain only letters, digits, hyphens and underscores")
        slug = None

    _price_parse(check, course_values)
    lessons = _lessons_parse(check, data["course"].get("lessons"))
    if check.problems or slug is None:
        raise CurriculumError(path, check.problems)
    course_values.pop("lessons", None)
    course = CourseSpec(line=lines.get("course", 1), lessons=lessons, **course_values)
    return Curriculum(path=path, course=course, lines=lines)


def _price_parse(check: _Checker, values: dict) -> None:
    """`price: 149.00` and `currency: USD` into price_minor (0 or absent: free) and currency."""
    currency = values.get("currency")
    if currency is not None and not CURRENCY_RE.match(currency):
        check.error("course.currency", "must be a three-letter ISO 4217 code such as USD")
        values.pop("currency")
        currency = None
    if "price" not in values:
        return
    try:
        minor = price_to_minor(values.pop("price"), currency or "USD")
    except ValueError as error:
        check.error("course.price", str(error))
        return
    values["price_minor"] = minor or None


def _lessons_parse(check: _Checker, raw_lessons: Any) -> list[LessonSpec]:
    if not isinstance(raw_lessons, list):
        return []  # already reported by the type check
    lessons: list[LessonSpec] = []
    lesson_paths: dict[int, str] = {}
    technique_paths: dict[int, str] = {}
    for index, raw in enumerate(raw_lessons):
        path = f"course.lessons[{index}]"
        values = check.fields(raw, path, LESSON_FIELDS, "lesson")
        if values is None:
            continue
        number = values.get("number")
        if number is not None:
            if number in lesson_paths:
                check.error(
                    f"{path}.number",
                    f"lesson number {number} is already used by {lesson_paths[number]} "
                    f"(line {check.lines.get(lesson_paths[number])})",
                )
            else:
                lesson_paths[number] = path
        techniques = []
        for t_index, raw_technique in enumerate(values.pop("techniques", None) or []):
            t_path = f"{path}.techniques[{t_index}]"
            technique = _technique_parse(check, raw_technique, t_path, number, technique_paths)
            if technique is not None:
                techniques.append(technique)
        if "number" in values and "title" in values:
            lessons.append(
                LessonSpec(path=path, line=check.lines[path], techniques=techniques, **values)
            )

    # Lessons are numbered 1..N so the syllabus has no gaps; say which numbers are off.
    expected = set(range(1, len(raw_lessons) + 1))
    for number, path in sorted(lesson_paths.items()):
        if number not in expected:
            check.error(
                f"{path}.number",
                f"lesson numbers must run from 1 to {len(raw_lessons)} without gaps; got {number}",
            )
    if not raw_lessons:
        check.error("course.lessons", "a course needs at least one lesson")
    return sorted(lessons, key=lambda lesson: lesson.number)


def _technique_parse(
    check: _Checker, raw: Any, path: str, lesson_number: int | None, seen: dict[int, str]
) -> TechniqueSpec | None:
    values = check.fields(raw, path, TECHNIQUE_FIELDS, "technique")
    if values is None:
        return None
    number = values.get("number")
    if number is not None:
        if not 1 <= number <= 999:
            check.error(f"{path}.number", f"must be between 1 and 999, got {number}")
        elif number in seen:
            check.error(
                f"{path}.number",
                f"technique number {number} is already used by {seen[number]} "
                f"(line {check.lines.get(seen[number])}); numbers are unique within the course",
            )
        else:
            seen[number] = path
    start, end = values.get("start_s"), values.get("end_s")
    for name, value in (("start_s", start), ("end_s", end)):
        if value is not None and value < 0:
            check.error(f"{path}.{name}", f"must not be negative, got {value}")
    if (start is None) != (end is None):
        missing = "end_s" if end is None else "start_s"
        check.error(f"{path}.{missing}", "give both start_s and end_s, or neither", line_path=path)
    elif start is not None and start >= end:
        check.error(f"{path}.end_s", f"must be after start_s ({start}), got {end}")
    if "number" not in values or "name" not in values or lesson_number is None:
        return None
    return TechniqueSpec(path=path, line=check.lines[path], lesson_number=lesson_number, **values)
