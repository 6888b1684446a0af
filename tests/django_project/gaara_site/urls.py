"""No views: the project exists for its settings, check and command."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
