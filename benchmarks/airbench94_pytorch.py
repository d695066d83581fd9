"""airbench94 itself, in PyTorch, on the offline CIFAR-10 file: the reference
that `python -m convnets_tf train airbench94 --recipe fast` is measured
against.

It is `legacy/airbench94.py` of github.com/KellerJordan/cifar10-airbench
(network, whitening, Nesterov SGD with its parametrisation, triangular
schedule, lookahead, alternating flips, reflected 2-pixel crops, the
whitening bias trained for 3 epochs, weighted logit test-time augmentation)
with three changes only: it runs on the CPU in float32, reads an .npz
(`x_train, y_train, x_test, y_test`, uint8 HWC) instead of downloading, and
its test set is whatever that file holds. It needs PyTorch, which this
project does not depend on:

    pip install torch numpy
    python benchmarks/airbench94_pytorch.py --data ../shared/data/cifar10_train50k.npz

It prints the test accuracy after every epoch and, at the end, without
test-time augmentation, with flips, and with flips and translations (the
figure airbench reports).
"""

import argparse
import time
from math import ceil

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

HYP = dict(batch_size=1024, lr=11.5, momentum=0.85, weight_decay=0.0153, bias_scaler=64.0,
           label_smoothing=0.2, whiten_bias_epochs=3, translate=2, batchnorm_momentum=0.6,
           scaling_factor=1 / 9, widths=(64, 256, 256))
MEAN = torch.tensor((0.4914, 0.4822, 0.4465)).view(1, 3, 1, 1)
STD = torch.tensor((0.2470, 0.2435, 0.2616)).view(1, 3, 1, 1)


def normalise(images):
    return ((torch.tensor(images).float() / 255).permute(0, 3, 1, 2) - MEAN) / STD


def batch_flip_lr(images):
    mask = (torch.rand(len(images)) < 0.5).view(-1, 1, 1, 1)
    return torch.where(mask, images.flip(-1), images)


def batch_crop(padded, size):
    r = (padded.size(-1) - size) // 2
    shifts = torch.randint(-r, r + 1, size=(len(padded), 2))
    out = torch.empty((len(padded), padded.size(1), size, size))
    for sy in range(-r, r + 1):
        for sx in range(-r, r + 1):
            mask = (shifts[:, 0] == sy) & (shifts[:, 1] == sx)
            out[mask] = padded[mask, :, r + sy:r + sy + size, r + sx:r + sx + size]
    return out


class BatchNorm(nn.BatchNorm2d):
    def __init__(self, features):
        super().__init__(features, eps=1e-12, momentum=1 - HYP["batchnorm_momentum"])
        self.weight.requires_grad = False


class Conv(nn.Conv2d):
    def __init__(self, channels_in, channels_out, kernel_size=3, padding="same", bias=False):
        super().__init__(channels_in, channels_out, kernel_size, padding=padding, bias=bias)

    def reset_parameters(self):
        super().reset_parameters()
        if self.bias is not None:
            self.bias.data.zero_()
        nn.init.dirac_(self.weight.data[:self.weight.size(1)])


class ConvGroup(nn.Module):
    def __init__(self, channels_in, channels_out):
        super().__init__()
        self.conv1, self.pool, self.norm1 = (
            Conv(channels_in, channels_out), nn.MaxPool2d(2), BatchNorm(channels_out))
        self.conv2, self.norm2 = Conv(channels_out, channels_out), BatchNorm(channels_out)
        self.activ = nn.GELU()

    def forward(self, x):
        x = self.activ(self.norm1(self.pool(self.conv1(x))))
        return self.activ(self.norm2(self.conv2(x)))


class Mul(nn.Module):
    def forward(self, x):
        return x * HYP["scaling_factor"]


def make_net():
    w1, w2, w3 = HYP["widths"]
    net = nn.Sequential(
        Conv(3, 24, 2, padding=0, bias=True), nn.GELU(),
        ConvGroup(24, w1), ConvGroup(w1, w2), ConvGroup(w2, w3),
        nn.MaxPool2d(3), nn.Flatten(), nn.Linear(w3, 10, bias=False), Mul())
    net[0].weight.requires_grad = False
    return net.to(memory_format=torch.channels_last)


def init_whitening(layer, images, eps=5e-4):
    patches = images.unfold(2, 2, 1).unfold(3, 2, 1).transpose(1, 3).reshape(-1, 3, 2, 2)
    flat = patches.reshape(len(patches), -1)
    eigenvalues, eigenvectors = torch.linalg.eigh(flat.T @ flat / len(flat), UPLO="U")
    eigenvalues = eigenvalues.flip(0).view(-1, 1, 1, 1)
    eigenvectors = eigenvectors.T.reshape(12, 3, 2, 2).flip(0)
    scaled = eigenvectors / torch.sqrt(eigenvalues + eps)
    layer.weight.data[:] = torch.cat((scaled, -scaled))


def accuracy(net, images, labels, tta_level=0):
    def mirror(x):
        return 0.5 * net(x) + 0.5 * net(x.flip(-1))

    def mirror_translate(x):
        padded = F.pad(x, (1,) * 4, "reflect")
        shifted = [mirror(padded[:, :, :32, :32]), mirror(padded[:, :, 2:, 2:])]
        return 0.5 * mirror(x) + 0.5 * torch.stack(shifted).mean(0)

    infer = [net, mirror, mirror_translate][tta_level]
    net.eval()
    with torch.no_grad():
        logits = torch.cat([infer(batch.contiguous(memory_format=torch.channels_last))
                            for batch in images.split(500)])
    return (logits.argmax(1) == labels).float().mean().item()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--epochs", type=float, default=9.9)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    data = np.load(args.data)
    x_train, y_train = normalise(data["x_train"]), torch.tensor(data["y_train"]).long()
    x_test, y_test = normalise(data["x_test"]), torch.tensor(data["y_test"]).long()

    net = make_net()
    init_whitening(net[0], x_train[:5000])
    batch_size, momentum = HYP["batch_size"], HYP["momentum"]
    kilostep_scale = 1024 * (1 + 1 / (1 - momentum))
    lr = HYP["lr"] / kilostep_scale
    wd = HYP["weight_decay"] * batch_size / kilostep_scale
    lr_biases = lr * HYP["bias_scaler"]
    named = list(net.named_parameters())
    norm_biases = [p for k, p in named if "norm" in k and p.requires_grad]
    others = [p for k, p in named if "norm" not in k and p.requires_grad]
    groups = [dict(params=norm_biases, lr=lr_biases, weight_decay=wd / lr_biases),
              dict(params=others, lr=lr, weight_decay=wd / lr)]
    optimizer = torch.optim.SGD(groups, momentum=momentum, nesterov=True)
    steps_per_epoch = len(x_train) // batch_size
    total_steps = ceil(steps_per_epoch * args.epochs)

    def get_lr(step):
        warmup = int(total_steps * 0.23)
        if step < warmup:
            return 0.2 + 0.8 * step / warmup
        return 1 - 0.93 * (step - warmup) / (total_steps - warmup)

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, get_lr)
    alpha = 0.95**5 * (torch.arange(total_steps + 1) / total_steps) ** 3
    slow = {k: v.clone() for k, v in net.state_dict().items()}

    def lookahead(decay):
        for slow_value, value in zip(slow.values(), net.state_dict().values()):
            if value.dtype == torch.float:
                slow_value.lerp_(value, 1 - decay)
                value.copy_(slow_value)

    loss_fn = nn.CrossEntropyLoss(label_smoothing=HYP["label_smoothing"], reduction="none")
    pad = HYP["translate"]
    padded = F.pad(batch_flip_lr(x_train), (pad,) * 4, "reflect")
    print(f"{len(x_train):,} training / {len(x_test):,} test images, {args.epochs} epochs, "
          f"seed {args.seed}, {torch.get_num_threads()} CPU threads", flush=True)
    step = 0
    for epoch in range(ceil(args.epochs)):
        start = time.time()
        net[0].bias.requires_grad = epoch < HYP["whiten_bias_epochs"]
        net.train()
        images = batch_crop(padded, 32)
        if epoch % 2 == 1:  # alternating flips
            images = images.flip(-1)
        order = torch.randperm(len(images))
        for i in range(steps_per_epoch):
            batch = order[i * batch_size:(i + 1) * batch_size]
            outputs = net(images[batch].contiguous(memory_format=torch.channels_last))
            loss = loss_fn(outputs, y_train[batch]).sum()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            step += 1
            if step % 5 == 0:
                lookahead(alpha[step].item())
            if step >= total_steps:
                lookahead(1.0)
                break
        seconds = time.time() - start
        print(f"epoch {epoch + 1}: step {step}, test accuracy "
              f"{accuracy(net, x_test, y_test):.4f}, {seconds:.0f} s training", flush=True)
    print("final test accuracy: " + ", ".join(
        f"{what} {accuracy(net, x_test, y_test, level):.4f}"
        for level, what in enumerate(("plain", "flip", "flip and translate"))), flush=True)


if __name__ == "__main__":
    main()
