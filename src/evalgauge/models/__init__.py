"""LLM clients, the offline judge model and the provider-neutral chat types."""

from evalgauge.models._anthropic import AnthropicModel
from evalgauge.models._base import ChatMessage, ChatModel, ChatRequest, ChatResponse, Usage
from evalgauge.models._openai import OpenAICompatibleModel

__all__ = [
    "AnthropicModel",
    "ChatMessage",
    "ChatModel",
    "ChatRequest",
    "ChatResponse",
    "OpenAICompatibleModel",
    "Usage",
]
