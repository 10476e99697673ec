"""A self-normalizing MLP that silently is not: SELU with PyTorch's default nn.Linear init.

nn.Linear initializes with kaiming_uniform_(a=sqrt(5)), i.e. Var(w) = 1/(3*fan_in). SELU needs
fan_in*Var(w) = 1 (lecun_normal) to keep activations at mean 0 / variance 1; with 1/3 the variance
collapses towards 0 as depth grows. NormLens flags every layer and offers the fix.
"""
import torch
import torch.nn as nn

IN_DIM = 784
HIDDEN = 256
DEPTH = 8


class SeluMLP(nn.Module):
    def __init__(self, in_dim=IN_DIM, hidden=HIDDEN, n_classes=10):
        super().__init__()
        self.fc1 = nn.Linear(in_dim, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.fc3 = nn.Linear(hidden, hidden)
        self.fc4 = nn.Linear(hidden, hidden)
        self.drop = nn.Dropout(0.1)
        self.out = nn.Linear(hidden, n_classes)

    def forward(self, x):
        x = torch.selu(self.fc1(x))
        x = torch.selu(self.fc2(x))
        x = torch.selu(self.fc3(x))
        x = self.drop(x)
        x = torch.selu(self.fc4(x))
        return self.out(x)


model = SeluMLP()
