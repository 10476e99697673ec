"""A correct self-normalizing network (Klambauer et al. 2017): SELU, lecun_normal, AlphaDropout.

kaiming_normal_(mode='fan_in', nonlinearity='linear') is lecun_normal: Var(w) = 1/fan_in, so each layer
maps (mean 0, variance 1) to itself. AlphaDropout keeps that fixed point where plain Dropout would not.
"""
import argparse

import torch.nn as nn

parser = argparse.ArgumentParser()
parser.add_argument("--depth", type=int, default=16)
parser.add_argument("--width", type=int, default=512)
parser.add_argument("--batch-size", type=int, default=128)
args = parser.parse_args()


class SNN(nn.Module):
    def __init__(self, in_features, width, depth, n_classes=10, dropout=0.05):
        super().__init__()
        blocks = [nn.Linear(in_features, width), nn.SELU()]
        for _ in range(depth - 1):
            blocks += [nn.Linear(width, width), nn.SELU(), nn.AlphaDropout(dropout)]
        self.body = nn.Sequential(*blocks)
        self.head = nn.Linear(width, n_classes)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="linear")
                nn.init.zeros_(m.bias)

    def forward(self, x):
        return self.head(self.body(x))


model = SNN(784, args.width, args.depth)
