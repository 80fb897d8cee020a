import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadflow.settings.base")

# leadflow.enqueue.Task: `delay_on_commit` that logs a broker failure instead of raising it
# after the change has committed.
app = Celery("leadflow", task_cls="leadflow.enqueue:Task")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
