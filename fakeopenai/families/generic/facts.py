"""What the spec does not say about the generic family's objects, in tables: id prefixes, the
names a 404 gives them, the default lifecycle of each kind with a status, and the few paths whose
shape misleads the spec reading (``spec_tables.py``).

The prefixes are the ones the spec's own examples use (``vs_``, ``ftjob-``, ``evalrun_``), where
it has examples; the others follow the API's habit (a short name and ``_``).
"""

from __future__ import annotations

from typing import Any

# ----------------------------------------------------------------------------- ids
PREFIXES: dict[str, str] = {
    "vector_store": "vs_", "vector_store.file": "file-", "vector_store.files_batch": "vsfb_",
    "fine_tuning.job": "ftjob-", "fine_tuning.job.event": "ftevent-", "fine_tuning.job.checkpoint": "ftckpt_",
    "checkpoint.permission": "cp_",
    "eval": "eval_", "eval.run": "evalrun_", "eval.run.output_item": "outputitem_",
    "upload": "upload_", "upload.part": "part_", "file": "file-",
    "video": "video_", "character": "char_",
    "container": "cntr_", "container.file": "cfile_",
    "skill": "skill_", "skill.version": "skillver_",
    "audio.voice_consent": "cons_", "audio.voice": "voice_",
    "chatkit.session": "cksess_", "chatkit.thread": "cthr_", "chatkit.thread_item": "cthi_",
    "organization.admin_api_key": "key_", "organization.certificate": "cert_",
    "organization.project.certificate": "cert_", "certificate": "cert_", "organization.invite": "invite-",
    "organization.project": "proj_", "organization.project.api_key": "key_",
    "organization.project.service_account": "svc_acct_", "organization.project.service_account.api_key": "key_",
    "organization.project.user": "user_", "organization.user": "user_", "organization.spend_alert": "alert_",
    "project.spend_alert": "alert_", "project.rate_limit": "rl-", "group": "group_", "role": "role_",
    "call": "rtc_", "text_completion": "cmpl-", "realtime.session": "sess_", "audit_log": "audit_log-",
    "realtime.transcription_session": "sess_",
}

# Collections whose create body names another object (a container file copies a File by file_id), not
# the new item's own id: spec_tables would otherwise take the item's key from the body.
OWN_IDS = frozenset({"/containers/{container_id}/files"})

# Collections whose items exist without this fake having made them: a realtime call arrives by SIP
# (its id comes in a webhook), so accept/hangup/refer/reject take any call id.
OPEN_COLLECTIONS = frozenset({"/realtime/calls"})


# Paths the official SDK calls for an operation the spec places elsewhere (openai-python 3.63 cancels an
# eval run with POST .../runs/{run_id}/cancel; the spec has POST .../runs/{run_id}): served as the operation
# they stand for, and documented in /openapi.json as its alias.
SDK_ALIASES: dict[str, str] = {
    "POST /evals/{eval_id}/runs/{run_id}/cancel": "POST /evals/{eval_id}/runs/{run_id}",
}


def prefix_for(kind: str | None) -> str:
    """``vs_`` for ``vector_store``; for a kind the table lacks, its last word and ``_``."""
    if kind in PREFIXES:
        return PREFIXES[kind]
    word = (kind or "obj").rsplit(".", 1)[-1]
    return word[:12] + "_"


# ----------------------------------------------------------------------------- names
NOUNS: dict[str, str] = {
    "vector_store": "vector store", "vector_store.file": "vector store file",
    "vector_store.files_batch": "vector store file batch", "fine_tuning.job": "fine-tuning job",
    "fine_tuning.job.checkpoint": "fine-tuning checkpoint", "fine_tuning.job.event": "fine-tuning event",
    "checkpoint.permission": "checkpoint permission", "eval.run": "eval run",
    "eval.run.output_item": "eval run output item", "upload.part": "upload part",
    "organization.admin_api_key": "admin API key", "organization.project": "project",
    "organization.project.api_key": "API key", "organization.project.service_account": "service account",
    "organization.project.user": "project user", "organization.user": "user", "organization.invite": "invite",
    "organization.certificate": "certificate", "organization.project.certificate": "certificate",
    "organization.spend_alert": "spend alert", "project.spend_alert": "spend alert",
    "project.rate_limit": "rate limit", "audio.voice_consent": "voice consent", "chatkit.session": "ChatKit session",
    "chatkit.thread": "ChatKit thread", "container.file": "container file", "skill.version": "skill version",
}


def noun_for(kind: str | None, param: str | None = None) -> str:
    """How a 404 names the object: ``No vector store found with id 'vs_x'.``"""
    if kind in NOUNS:
        return NOUNS[kind]
    if kind:
        return kind.replace(".", " ").replace("_", " ")
    return (param or "object").removesuffix("_id").replace("_", " ")


def singular(word: str) -> str:
    for plural, one in (("ies", "y"), ("sses", "ss"), ("ches", "ch"), ("xes", "x")):
        if word.endswith(plural):
            return word[: -len(plural)] + one
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


# ----------------------------------------------------------------------------- lifecycles
# The default life of each kind with a status: one step per read (GET of the object), as runs and
# batches go. A kind not listed here keeps its settled status (SETTLED) from the start.
LIFECYCLES: dict[str, tuple[str, ...]] = {
    "fine_tuning.job": ("validating_files", "queued", "running", "succeeded"),
    "video": ("queued", "in_progress", "completed"),
    "eval.run": ("queued", "in_progress", "completed"),
    "upload": ("pending",),          # completed by POST /uploads/{id}/complete, not by reads
}
# The statuses that end a life (a read no longer moves it; cancel is a 400).
# The values of required fields newer than the shipped spec that the SDKs already read (openai-python 3.63
# validates them; openapi_rules.NEWER_PROPERTIES gives their schemas): a kind's answers carry them (the
# request's own fields still win).
NEWER_FIELDS: dict[str, dict[str, Any]] = {
    "audio.voice": {"type": "audio_sample"},   # a voice made from an uploaded sample (the only way over HTTP)
}

TERMINAL = frozenset({"completed", "succeeded", "failed", "cancelled", "canceled", "expired", "incomplete"})
# The webhook event (``state.notify``) an object of a kind sends when it enters a status (docs/webhooks.md).
WEBHOOK_EVENTS = {
    ("fine_tuning.job", "succeeded"): "fine_tuning.job.succeeded",
    ("fine_tuning.job", "failed"): "fine_tuning.job.failed",
    ("fine_tuning.job", "cancelled"): "fine_tuning.job.cancelled",
    ("eval.run", "completed"): "eval.run.succeeded", ("eval.run", "failed"): "eval.run.failed",
    ("eval.run", "canceled"): "eval.run.canceled",
    ("video", "completed"): "video.completed", ("video", "failed"): "video.failed",
}
# Kinds whose life waits for the client at its last step instead of ending there by itself.
WAITING = frozenset({"upload"})
# Statuses the lifecycle scripts may use for kinds whose schema leaves ``status`` a free string.
FREE_STATUSES: dict[str, tuple[str, ...]] = {
    "eval.run": ("queued", "in_progress", "completed", "failed", "canceled"),
    "container": ("running", "active", "expired", "deleted"),
    "organization.project": ("active", "archived"),
}
# What a kind with a status and no lifecycle shows: the first of these its statuses allow.
SETTLED = ("completed", "active", "succeeded", "ready", "processed", "pending")
# ``progress`` (videos) by status, unless a step gives it.
PROGRESS = {"queued": 0, "in_progress": 50, "completed": 100}
# The timestamp fields a status sets, when the object has them.
STATUS_TIMES: dict[str, tuple[str, ...]] = {
    "in_progress": ("in_progress_at", "started_at"), "running": ("started_at",),
    "completed": ("completed_at", "finished_at"), "succeeded": ("finished_at", "completed_at"),
    "failed": ("failed_at", "finished_at"), "cancelled": ("cancelled_at", "finished_at"),
    "canceled": ("canceled_at", "cancelled_at", "finished_at"), "expired": ("expired_at",),
    "archived": ("archived_at",),
}
# Fine-tuning events: what each status says.
EVENT_MESSAGES = {
    "validating_files": "Validating training file", "queued": "Fine-tuning job queued",
    "running": "Fine-tuning job started", "succeeded": "The job has successfully completed",
    "failed": "The job failed", "cancelled": "The job was cancelled",
}
