"""Test doubles that run as real services on 127.0.0.1."""

from tests.fakes.llm_server import (
    FakeLLMServer,
    Reply,
    Script,
    delayed,
    echo_script,
    last_user_text,
    sequence_script,
    verdict_script,
)

__all__ = [
    "FakeLLMServer",
    "Reply",
    "Script",
    "delayed",
    "echo_script",
    "last_user_text",
    "sequence_script",
    "verdict_script",
]
