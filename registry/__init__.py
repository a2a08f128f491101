"""Municipalities, centres and dated coverage from data/: shared by the action server and the
gateway, so it imports only the standard library and PyYAML (no rasa_sdk, no FastAPI)."""

from registry.fields import RegistryError
from registry.load import load_registry, read_registry
from registry.model import (
    Centre,
    CoverageSpan,
    Fact,
    Municipality,
    Registry,
    Route,
    SocialServices,
)
from registry.resolve import Candidate, Resolution, Resolver

__all__ = [
    "Candidate",
    "Centre",
    "CoverageSpan",
    "Fact",
    "Municipality",
    "Registry",
    "RegistryError",
    "Resolution",
    "Resolver",
    "Route",
    "SocialServices",
    "load_registry",
    "read_registry",
]
