from fastapi import APIRouter

router = APIRouter(tags=["razorpay-sandbox"])
