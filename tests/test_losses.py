import numpy as np
import pytest
import torch
import torch.nn.functional as F

from emotion.train.losses import multilabel_loss, positive_weights

LOGITS = torch.tensor([[2.0, -1.0, 0.5], [-3.0, 0.2, 1.0]])
TARGETS = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])


def test_bce_is_the_standard_loss():
    assert multilabel_loss(LOGITS, TARGETS, "bce") == pytest.approx(F.binary_cross_entropy_with_logits(LOGITS, TARGETS).item())


def test_focal_with_zero_gamma_is_bce_and_down_weights_easy_examples():
    bce = multilabel_loss(LOGITS, TARGETS, "bce").item()
    assert multilabel_loss(LOGITS, TARGETS, "focal", gamma=0.0).item() == pytest.approx(bce, rel=1e-6)
    assert multilabel_loss(LOGITS, TARGETS, "focal", gamma=2.0).item() < bce


def test_positive_weights_grow_for_rare_labels_and_are_capped():
    y = np.zeros((1000, 3))
    y[:500, 0] = 1
    y[:10, 1] = 1
    w = positive_weights(y, cap=30.0)
    assert w[0] == pytest.approx(1.0)
    assert w[1] == pytest.approx(np.sqrt(990 / 10))
    assert w[2] == pytest.approx(30.0)
    weighted = multilabel_loss(LOGITS, TARGETS, "weighted_bce", pos_weight=torch.tensor([1.0, 1.0, 1.0]))
    assert weighted.item() == pytest.approx(multilabel_loss(LOGITS, TARGETS, "bce").item())


def test_unknown_loss_and_missing_weights():
    with pytest.raises(ValueError, match="Unknown loss"):
        multilabel_loss(LOGITS, TARGETS, "hinge")
    with pytest.raises(ValueError, match="pos_weight"):
        multilabel_loss(LOGITS, TARGETS, "weighted_bce")
