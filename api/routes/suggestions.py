"""Routes: suggestions."""

from fastapi import APIRouter

router = APIRouter()
