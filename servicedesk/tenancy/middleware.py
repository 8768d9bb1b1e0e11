from django.utils import timezone


class ResetTimezoneMiddleware:
    """Each request starts in the default time zone; tenant pages then switch to the tenant's own.

    The activated zone is thread-local and would otherwise leak into the next request on this thread.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
