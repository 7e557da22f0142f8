"""Routes: reuse."""

from fastapi import APIRouter

router = APIRouter()
