"""Forms of the checklists: the manager's editor (one form per item, reorder and delete in a formset), the
answer to one item (its field depends on the item's kind), and the center's quality rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from servicedesk.images import normalise_photo

from .checklists import MAX_ITEMS
from .models import ChecklistStage, ItemKind, QualitySettings


class ChecklistItemForm(forms.Form):
    label = forms.CharField(label=_("What to check"), max_length=200, required=False)
    stage = forms.ChoiceField(
        label=_("Stage"), choices=ChecklistStage.choices, initial=ChecklistStage.DIAGNOSTICS
    )
    kind = forms.ChoiceField(label=_("Answer"), choices=ItemKind.choices, initial=ItemKind.TICK)
    required = forms.BooleanField(label=_("Required"), required=False, initial=True)
    min_value = forms.DecimalField(label=_("At least"), required=False, max_digits=12, decimal_places=3)
    max_value = forms.DecimalField(label=_("At most"), required=False, max_digits=12, decimal_places=3)
    unit = forms.CharField(label=_("Unit"), max_length=20, required=False)

    def has_label(self) -> bool:
        return bool(self.cleaned_data.get("label", "").strip())


class _ItemFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        super().clean()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if data.get("DELETE") or not data.get("label", "").strip():
                continue
            low, high = data.get("min_value"), data.get("max_value")
            if data.get("kind") == ItemKind.NUMBER and low is not None and high is not None and low > high:
                form.add_error("max_value", _("“At most” is less than “at least”."))


ChecklistItemFormSet = forms.formset_factory(
    ChecklistItemForm,
    formset=_ItemFormSet,
    extra=3,
    can_order=True,
    can_delete=True,
    max_num=MAX_ITEMS,
    validate_max=True,
    absolute_max=MAX_ITEMS + 10,
)


class ChecklistVersionForm(forms.Form):
    """The version the editor showed (0: no checklist yet): a newer save is never overwritten."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=10**9)


class QualitySettingsForm(forms.ModelForm):
    class Meta:
        model = QualitySettings
        fields = ["independent_check"]


class AnswerForm(forms.Form):
    """The answer to one item: `revision` is the answer's revision the page showed (0: unanswered)."""

    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=10**9)

    def __init__(self, *args, kind: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        if kind == ItemKind.TICK:
            self.fields["done"] = forms.BooleanField(required=False)
        elif kind == ItemKind.NUMBER:
            # Read by the service, which names the item and its range in its refusal (and takes a comma).
            self.fields["number"] = forms.CharField(required=False, max_length=40)
        elif kind == ItemKind.TEXT:
            self.fields["text"] = forms.CharField(required=False, max_length=200)
        else:
            self.fields["photo"] = forms.FileField(error_messages={"required": _("Choose a photo.")})

    def clean_photo(self):
        upload = self.cleaned_data["photo"]
        return normalise_photo(upload)  # ImageRefused (a ValidationError) says what is wrong with it
