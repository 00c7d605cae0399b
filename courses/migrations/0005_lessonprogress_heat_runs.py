"""LessonProgress.heat: one count per second -> runs of [first_bin, stop_bin, plays]."""

from django.db import migrations


def _runs(dense):
    runs = []
    for i, plays in enumerate(dense):
        if not plays:
            continue
        if runs and runs[-1][1] == i and runs[-1][2] == plays:
            runs[-1][1] = i + 1
        else:
            runs.append([i, i + 1, plays])
    return runs


def _dense(runs):
    dense = [0] * max((stop for _, stop, _ in runs), default=0)
    for first, stop, plays in runs:
        for i in range(first, stop):
            dense[i] += plays
    return dense


def _convert(apps, to_runs: bool):
    LessonProgress = apps.get_model("courses", "LessonProgress")
    rows = LessonProgress.objects.exclude(heat=[]).only("heat")
    for row in rows.iterator(chunk_size=500):
        old_is_dense = all(isinstance(x, int) for x in row.heat)
        if old_is_dense == to_runs:
            row.heat = _runs(row.heat) if to_runs else _dense(row.heat)
            row.save(update_fields=["heat"])


def forwards(apps, schema_editor):
    _convert(apps, to_runs=True)


def backwards(apps, schema_editor):
    _convert(apps, to_runs=False)


class Migration(migrations.Migration):
    dependencies = [("courses", "0004_lessonprogress_revision")]

    operations = [migrations.RunPython(forwards, backwards)]
