import signal

from celery import Celery
from celery.signals import worker_process_init

from config.settings_module import settings_module_use

settings_module_use()  # local in a prepared checkout, else production

app = Celery("config")
# All Celery options live in Django settings under the CELERY_ prefix, so one
# environment drives the web process, the worker and beat alike.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _pool_process_ignores_ctrl_c(**kwargs) -> None:
    # Ctrl-C in `make run` reaches the whole process group. The worker itself shuts down
    # warm (the running task finishes, then the pool is stopped); a pool process that died of
    # the signal mid-task would be reported as WorkerLostError, a traceback in the output, and
    # its task run again. Beat's tasks that run at start (reminders, receipts) made it likely.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
