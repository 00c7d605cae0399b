import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("config")
# All Celery options live in Django settings under the CELERY_ prefix, so one
# environment drives the web process, the worker and beat alike.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
