from django.urls import path

from . import metrics

app_name = "ops"
urlpatterns = [path("metrics", metrics.metrics, name="metrics")]
