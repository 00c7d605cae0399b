from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = "Courses"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from courses import pagecache
        from courses.commerce import checks  # noqa: F401  (registers the system check)
        from courses.learning.cards import receivers

        pagecache.signals_connect()
        receivers.receivers_connect()
