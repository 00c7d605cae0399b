"""Find and delete stored objects nothing needs any more.

Kept: the original of every version (a failed transcode keeps its upload),
everything of a version a video serves, and everything of a version that is
still in progress. Purged: renditions of failed/rejected versions and of
ready versions that were replaced, and objects no version knows about.
"""

from dataclasses import dataclass, field

from media_pipeline.models import Video, VideoVersion
from media_pipeline.storage import object_keys, objects_delete

State = VideoVersion.State


@dataclass
class PurgePlan:
    keys: list[str] = field(default_factory=list)
    reasons: dict[str, int] = field(default_factory=dict)

    def add(self, keys: list[str], reason: str) -> None:
        if keys:
            self.keys.extend(keys)
            self.reasons[reason] = self.reasons.get(reason, 0) + len(keys)


def orphaned_media_plan() -> PurgePlan:
    plan = PurgePlan()
    current = set(
        Video.objects.exclude(current_version=None).values_list("current_version_id", flat=True)
    )
    versions = {str(v.pk): v for v in VideoVersion.objects.all()}
    originals = {v.original_key for v in versions.values()}
    plan.add([k for k in object_keys("originals/") if k not in originals], "unknown original")
    by_version: dict[str, list[str]] = {}
    unknown: list[str] = []
    for key in object_keys("videos/"):
        parts = key.split("/")
        version_id = parts[2] if len(parts) > 3 else ""
        if version_id in versions:
            by_version.setdefault(version_id, []).append(key)
        else:
            unknown.append(key)
    plan.add(unknown, "output of a deleted version")
    for version_id, keys in by_version.items():
        version = versions[version_id]
        if version.pk in current:
            continue
        if version.state in (State.FAILED, State.REJECTED):
            plan.add(keys, f"output of a {version.state} version")
        elif version.state == State.READY:
            plan.add(keys, "output of a replaced version")
    return plan


def orphaned_media_purge(plan: PurgePlan) -> None:
    objects_delete(plan.keys)
