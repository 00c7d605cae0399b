from celery import Celery

from config.settings_module import settings_module_use

settings_module_use()  # local in a prepared checkout, else production

app = Celery("config")
# All Celery options live in Django settings under the CELERY_ prefix, so one
# environment drives the web process, the worker and beat alike.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
