"""GET /api/courses/ and /api/courses/{slug}/."""

from courses.models import Course, Lesson, Technique


def test_course_list(client, course):
    Course.objects.create(slug="draft", title="Draft", is_published=False)
    response = client.get("/api/courses/")
    assert response.status_code == 200
    assert response.json() == [{"slug": course.slug, "title": course.title, "lesson_count": 13}]


def test_course_detail_shape(client, course):
    response = client.get(f"/api/courses/{course.slug}/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"slug", "title", "tagline", "lessons"}
    assert (body["slug"], body["title"], body["tagline"]) == (
        course.slug,
        course.title,
        course.tagline,
    )
    assert [lesson["number"] for lesson in body["lessons"]] == list(range(1, 14))
    first = body["lessons"][1]
    lesson = Lesson.objects.get(course=course, number=2)
    assert first == {
        "id": lesson.pk,
        "number": 2,
        "title": lesson.title,
        "summary": lesson.summary,
        "is_preview": True,
        "duration_s": None,  # no video yet
        "techniques": [
            {"number": 1, "name": "Arcing", "start_s": None, "end_s": None},
            {
                "number": 2,
                "name": "Still Point Induction at the Feet",
                "start_s": None,
                "end_s": None,
            },
        ],  # fmt: skip
    }
    assert sum(len(lesson["techniques"]) for lesson in body["lessons"]) == 22


def test_course_detail_duration_and_times_once_set(client, course, ready_video):
    Lesson.objects.filter(course=course, number=2).update(video=ready_video(600))
    Technique.objects.filter(course=course, number=1).update(start_s=5, end_s=120.5)
    lesson = client.get(f"/api/courses/{course.slug}/").json()["lessons"][1]
    assert lesson["duration_s"] == 600
    assert lesson["techniques"][0] == {"number": 1, "name": "Arcing", "start_s": 5, "end_s": 120.5}


def test_unknown_course_is_json_404(client, db):
    Course.objects.create(slug="draft", title="Draft", is_published=False)
    for slug in ("nope", "draft"):
        response = client.get(f"/api/courses/{slug}/")
        assert response.status_code == 404
        assert response["Content-Type"].startswith("application/json")
        assert response.json() == {"detail": "Course not found."}


def test_openapi_documents_the_endpoints(client, db):
    schema = client.get("/api/openapi.json").json()
    assert "/api/courses/" in schema["paths"]
    assert "/api/courses/{slug}/" in schema["paths"]
