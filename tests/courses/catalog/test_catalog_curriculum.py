"""curriculum_load: the real file, idempotent reloads, in-place edits and malformed files."""

import pytest

from courses.catalog.services import CurriculumError, curriculum_load
from courses.models import Course, Lesson, Technique

SLUG = "craniosacral-therapy"


def db_snapshot() -> dict:
    return {
        "courses": list(Course.objects.order_by("slug").values_list("slug", "title", "tagline")),
        "lessons": list(
            Lesson.objects.order_by("course__slug", "number").values_list(
                "course__slug", "number", "title", "summary", "is_preview", "video_id"
            )
        ),
        "techniques": list(
            Technique.objects.order_by("course__slug", "number").values_list(
                "course__slug", "number", "lesson__number", "name", "start_s", "end_s"
            )
        ),
    }


def test_real_file_loads_13_lessons_and_22_techniques(db, curriculum_path):
    result = curriculum_load(path=curriculum_path)

    course = Course.objects.get(slug=SLUG)
    assert course.title.startswith("Craniosacral Massage Therapy")
    assert course.description.count("\n\n") >= 3  # paragraphs survive
    assert list(course.lessons.values_list("number", flat=True)) == list(range(1, 14))
    assert course.techniques.count() == 22
    assert list(course.techniques.order_by("number").values_list("number", flat=True)) == list(
        range(1, 23)
    )
    assert (result.created, result.updated, result.deleted) == (1 + 13 + 22, 0, 0)
    # Technique 6 (Hyoid Release) sits in lesson 4, as in the file.
    assert Technique.objects.get(course=course, number=6).lesson.number == 4
    assert set(course.lessons.filter(is_preview=True).values_list("number", flat=True)) == {1, 2}


def test_second_run_changes_nothing(db, curriculum_path):
    curriculum_load(path=curriculum_path)
    before = db_snapshot()
    updated_at = Course.objects.get(slug=SLUG).updated_at

    result = curriculum_load(path=curriculum_path)

    assert (result.created, result.updated, result.deleted) == (0, 0, 0)
    assert result.unchanged == 1 + 13 + 22
    assert result.summary() == f"{SLUG}: 0 created, 0 updated, 36 unchanged, 0 deleted"
    assert db_snapshot() == before
    assert Course.objects.get(slug=SLUG).updated_at == updated_at


def test_edited_file_updates_in_place(db, curriculum_path, curriculum_data, write_yaml):
    curriculum_load(path=curriculum_path)
    lesson_ids = dict(Lesson.objects.values_list("number", "id"))
    technique_ids = dict(Technique.objects.values_list("number", "id"))

    lessons = curriculum_data["course"]["lessons"]
    lessons[2]["title"] = "Releasing the Diaphragms (revised)"
    lessons[3]["techniques"][0]["description"] = "New description."
    # Move technique 2 (Still Point at the Feet) from lesson 2 to lesson 3.
    moved = lessons[1]["techniques"].pop()
    lessons[2]["techniques"].append(moved)
    result = curriculum_load(path=write_yaml(curriculum_data))

    assert (result.created, result.updated, result.deleted) == (0, 3, 0)
    assert Lesson.objects.count() == 13 and Technique.objects.count() == 22
    assert dict(Lesson.objects.values_list("number", "id")) == lesson_ids
    assert dict(Technique.objects.values_list("number", "id")) == technique_ids
    assert Lesson.objects.get(number=3).title == "Releasing the Diaphragms (revised)"
    assert Technique.objects.get(number=5).description == "New description."
    assert Technique.objects.get(number=2).lesson.number == 3


def test_reload_keeps_video_links_and_times_set_in_the_admin(
    db, curriculum_path, curriculum_data, write_yaml, ready_video
):
    curriculum_load(path=curriculum_path)
    video = ready_video(900)
    Lesson.objects.filter(number=2).update(video=video)
    Technique.objects.filter(number=1).update(start_s=10, end_s=95.5)
    curriculum_data["course"]["lessons"][1]["title"] = "Listening Touch (new title)"

    result = curriculum_load(path=write_yaml(curriculum_data))

    assert result.updated == 1
    lesson = Lesson.objects.get(number=2)
    assert lesson.video_id == video.pk and lesson.title == "Listening Touch (new title)"
    technique = Technique.objects.get(number=1)
    assert (technique.start_s, technique.end_s) == (10, 95.5)


def test_times_given_in_the_file_are_set(db, curriculum_data, write_yaml):
    technique = curriculum_data["course"]["lessons"][1]["techniques"][0]
    technique.update(start_s=12, end_s=80.5)
    curriculum_load(path=write_yaml(curriculum_data))
    assert Technique.objects.filter(number=1).values_list("start_s", "end_s").get() == (12, 80.5)


def test_removed_lessons_go_unless_they_have_a_video(
    db, curriculum_path, curriculum_data, write_yaml, ready_video
):
    curriculum_load(path=curriculum_path)
    video = ready_video(600)
    Lesson.objects.filter(number=12).update(video=video)
    del curriculum_data["course"]["lessons"][11:]  # drop lessons 12 (video) and 13 (none)

    result = curriculum_load(path=write_yaml(curriculum_data))

    assert not Lesson.objects.filter(number=13).exists()
    kept = Lesson.objects.get(number=12)
    assert kept.video_id == video.pk
    # Lesson 12's techniques (21, 22) are kept with it: their times point into that video.
    assert set(kept.techniques.values_list("number", flat=True)) == {21, 22}
    assert result.deleted == 1
    assert any("Lesson 12" in note and "video" in note for note in result.notes)
    assert any("Technique 21" in note for note in result.notes)


def test_removed_technique_is_deleted(db, curriculum_path, curriculum_data, write_yaml):
    curriculum_load(path=curriculum_path)
    curriculum_data["course"]["lessons"][4]["techniques"].pop()  # technique 9 (CV-4)

    result = curriculum_load(path=write_yaml(curriculum_data))

    assert result.deleted == 1
    assert not Technique.objects.filter(number=9).exists()
    assert Technique.objects.count() == 21


GOOD_HEAD = """\
course:
  slug: tiny
  title: "Tiny course"
  lessons:
"""


@pytest.mark.parametrize(
    ("body", "line", "field", "words"),
    [
        pytest.param(
            """\
            - number: 1
              title: "One"
            - number: 2
              summary: "no title here"
            """,
            7,
            "course.lessons[1].title",
            "required",
            id="missing-field",
        ),
        pytest.param(
            """\
            - number: 1
              title: "One"
            - number: 1
              title: "One again"
            """,
            7,
            "course.lessons[1].number",
            "already used",
            id="duplicate-lesson-number",
        ),
        pytest.param(
            """\
            - number: 1
              title: "One"
              is_preview: "yes please"
            """,
            7,
            "course.lessons[0].is_preview",
            "true or false",
            id="bad-type",
        ),
        pytest.param(
            """\
            - number: "one"
              title: "One"
            """,
            5,
            "course.lessons[0].number",
            "whole number",
            id="number-as-text",
        ),
        pytest.param(
            """\
            - number: 1
              title: "One"
              techniques:
                - number: 1
                  name: "Hold"
                  start_s: 30
                  end_s: 30
            """,
            11,
            "course.lessons[0].techniques[0].end_s",
            "after start_s",
            id="start-not-before-end",
        ),
        pytest.param(
            """\
            - number: 1
              title: "One"
              techniques:
                - number: 4
                  name: "Hold"
            - number: 2
              title: "Two"
              techniques:
                - number: 4
                  name: "Same number"
            """,
            13,
            "course.lessons[1].techniques[0].number",
            "unique within the course",
            id="duplicate-technique-number",
        ),
        pytest.param(
            """\
            - number: 1
              title: "One"
            - number: 3
              title: "Three"
            """,
            7,
            "course.lessons[1].number",
            "without gaps",
            id="lesson-number-gap",
        ),
        pytest.param(
            """\
            - number: 1
              titel: "Typo"
              title: "One"
            """,
            6,
            "course.lessons[0].titel",
            "unknown field",
            id="unknown-field",
        ),
    ],
)
def test_malformed_file_names_line_and_field_and_changes_nothing(
    db, curriculum_path, write_yaml, body, line, field, words
):
    curriculum_load(path=curriculum_path)
    before = db_snapshot()
    lessons = "\n".join("    " + row if row else row for row in body.splitlines())
    path = write_yaml(GOOD_HEAD + lessons + "\n")

    with pytest.raises(CurriculumError) as excinfo:
        curriculum_load(path=path)

    message = str(excinfo.value)
    assert str(path) in message
    assert f"line {line}: {field}:" in message
    assert words in message
    assert db_snapshot() == before
    assert not Course.objects.filter(slug="tiny").exists()


def test_yaml_syntax_error_names_the_line(db, write_yaml):
    path = write_yaml(
        """
        course:
          slug: tiny
          title: "Unclosed
          lessons: []
        """
    )
    with pytest.raises(CurriculumError) as excinfo:
        curriculum_load(path=path)
    message = str(excinfo.value)
    assert str(path) in message and "YAML syntax" in message
    assert "line 3" in message or "line 4" in message or "line 5" in message
    assert Course.objects.count() == 0


def test_every_problem_is_reported_at_once(db, write_yaml):
    path = write_yaml(
        """
        course:
          title: "No slug"
          lessons:
            - number: 1
            - number: 2
              title: 5
        """
    )
    with pytest.raises(CurriculumError) as excinfo:
        curriculum_load(path=path)
    fields = [field for _, field, _ in excinfo.value.problems]
    assert fields == ["course.slug", "course.lessons[0].title", "course.lessons[1].title"]


def test_missing_file_is_a_curriculum_error(db, tmp_path):
    with pytest.raises(CurriculumError, match="cannot read"):
        curriculum_load(path=tmp_path / "nope.yaml")


def test_error_found_while_writing_rolls_everything_back(
    db, curriculum_path, curriculum_data, write_yaml, ready_video
):
    """Times past a lesson's ready video are only detectable against the DB; still atomic."""
    curriculum_load(path=curriculum_path)
    Lesson.objects.filter(number=2).update(video=ready_video(60))
    before = db_snapshot()
    lessons = curriculum_data["course"]["lessons"]
    lessons[0]["title"] = "Changed first (must be rolled back)"
    lessons[1]["techniques"][0].update(start_s=10, end_s=120)

    with pytest.raises(CurriculumError) as excinfo:
        curriculum_load(path=write_yaml(curriculum_data))

    assert "course.lessons[1].techniques[0].end_s" in str(excinfo.value)
    assert "past the end" in str(excinfo.value)
    assert db_snapshot() == before
