"""Queueing Celery work from courses, by task name, once the transaction has committed.

A broker outage must not turn a finished request (a payment, an answer) into a 500: the
failure is logged and the work is left for its sweeper (unsent receipts are sent again by
courses.commerce.tasks.receipts_unsent_send).
"""

import logging

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)


def task_send(name: str, args: list) -> bool:
    try:
        current_app.send_task(name, args=args, retry=False)
    except Exception as error:  # kombu OperationalError, redis ConnectionError, ...
        logger.error("could not queue %s%s: %s", name, tuple(args), error)
        return False
    return True


def task_send_on_commit(name: str, args: list) -> None:
    transaction.on_commit(lambda: task_send(name, args))
