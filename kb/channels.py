"""Sending one delivery: email over SMTP, or a webhook in the format of a 企业微信 (WeCom),
钉钉 (DingTalk) or 飞书 (Feishu) group robot, or generic JSON. Every message carries its
idempotency key (an `Idempotency-Key` header; for email a Message-ID made from it) so a
receiver can drop the copy an at-least-once resend may bring."""

from __future__ import annotations

import hashlib
import json
import smtplib
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from kb.config import Settings
from kb.errors import KBError

ERROR_BODY_CHARS = 300


class DeliveryFailed(KBError):
    status = 502
    code = "delivery_failed"


@dataclass(frozen=True)
class Outgoing:
    key: str
    channel: str  # email, wecom, dingtalk, feishu, webhook
    target: str
    topic: str
    subject: str
    body: str


def send(outgoing: Outgoing, settings: Settings) -> None:
    """Deliver once, or raise DeliveryFailed saying why."""
    if outgoing.channel == "email":
        send_email(outgoing, settings)
    else:
        post_webhook(outgoing, settings.notify_timeout_seconds)


def send_email(outgoing: Outgoing, settings: Settings) -> None:
    if not settings.smtp_host:
        raise DeliveryFailed("email is not set up: set KB_SMTP_HOST (and KB_SMTP_PORT)")
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = outgoing.target
    message["Subject"] = outgoing.subject
    message["Message-ID"] = message_id(outgoing.key)
    message["X-KB-Key"] = outgoing.key
    message.set_content(outgoing.body)
    try:
        with smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=settings.notify_timeout_seconds
        ) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryFailed(f"SMTP {settings.smtp_host}:{settings.smtp_port}: {exc}") from exc


def message_id(key: str) -> str:
    return f"<{hashlib.sha256(key.encode('utf-8')).hexdigest()[:40]}@kb>"


def webhook_payload(outgoing: Outgoing) -> dict[str, Any]:
    """The JSON body each robot takes (markdown for WeCom and DingTalk, text for Feishu)."""
    text = f"{outgoing.subject}\n\n{outgoing.body}"
    if outgoing.channel == "wecom":
        return {
            "msgtype": "markdown",
            "markdown": {"content": f"**{outgoing.subject}**\n{outgoing.body}"},
        }
    if outgoing.channel == "dingtalk":
        return {
            "msgtype": "markdown",
            "markdown": {
                "title": outgoing.subject,
                "text": f"### {outgoing.subject}\n\n{outgoing.body}",
            },
        }
    if outgoing.channel == "feishu":
        return {"msg_type": "text", "content": {"text": text}}
    return {
        "key": outgoing.key,
        "topic": outgoing.topic,
        "subject": outgoing.subject,
        "body": outgoing.body,
    }


def post_webhook(outgoing: Outgoing, timeout: float) -> None:
    data = json.dumps(webhook_payload(outgoing), ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        outgoing.target,
        data=data,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "Idempotency-Key": outgoing.key,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            answer = response.read(64_000)
    except urllib.error.HTTPError as exc:
        body = exc.read(ERROR_BODY_CHARS).decode("utf-8", "replace")
        raise DeliveryFailed(f"{outgoing.channel} webhook answered {exc.code}: {body}") from exc
    except (OSError, ValueError) as exc:
        raise DeliveryFailed(f"{outgoing.channel} webhook {outgoing.target}: {exc}") from exc
    _check_robot_answer(outgoing.channel, answer)


def _check_robot_answer(channel: str, answer: bytes) -> None:
    """The robots answer 200 with an error code in the body: errcode (WeCom, DingTalk) or
    code (Feishu) other than 0 is a failure."""
    if channel == "webhook":
        return
    try:
        found = json.loads(answer or b"{}")
    except ValueError:
        return
    if not isinstance(found, dict):
        return
    code = found.get("errcode", found.get("code", found.get("StatusCode", 0)))
    if code not in (0, None):
        message = found.get("errmsg") or found.get("msg") or ""
        raise DeliveryFailed(f"{channel} robot refused the message: {code} {message}".strip())
