"""Routes: governance."""

from fastapi import APIRouter

router = APIRouter()
