"""A deep sigmoid MLP without normalization: the 1990s way to make gradients vanish."""
import torch.nn as nn

depth = 10
width = 128

layers = [nn.Linear(64, width), nn.Sigmoid()]
for _ in range(depth - 1):
    layers += [nn.Linear(width, width), nn.Sigmoid()]
layers.append(nn.Linear(width, 10))

net = nn.Sequential(*layers)

# Old-style init: unit-variance weights saturate every sigmoid.
for m in net.modules():
    if isinstance(m, nn.Linear):
        nn.init.normal_(m.weight, std=1.0)
