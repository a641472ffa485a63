"""django-tasks entry points. The work itself lives in reviews.jobs."""

from django_tasks import task

from . import jobs


@task()
def run_job(job_id: int) -> dict:
    """Run a bulk export or a rescan (a reviews.models.Job) to the end."""
    return jobs.run(job_id)
