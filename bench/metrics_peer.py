"""The metrics suite in Python with numpy/scikit-learn/scipy, for `npm run bench:metrics`.

Scores a pool of codes and factors (.npy) with disentanglement_lib's definitions and defaults: the same
work Untangle does, written the way a Python user would (numpy vectorisation, scikit-learn estimators).
Prints one JSON line: seconds per metric and the headline values.
Usage: python3 metrics_peer.py CODES.npy FACTORS.npy [metric,metric,...]
"""
import json
import sys
import time

import numpy as np
from scipy import linalg
from scipy.stats import entropy as scipy_entropy
from sklearn import ensemble, feature_selection, linear_model, metrics, preprocessing, svm, tree
from sklearn.metrics import mutual_info_score, roc_auc_score

codes = np.load(sys.argv[1]).astype(np.float64)
factors = np.load(sys.argv[2]).astype(np.int64)
selected = sys.argv[3].split(',') if len(sys.argv) > 3 else None
n, dim = codes.shape
k = factors.shape[1]
rows_by_value = [[np.flatnonzero(factors[:, j] == v) for v in range(factors[:, j].max() + 1)] for j in range(k)]
rng = np.random.RandomState(0)


def split(*counts):
    order = rng.permutation(n)
    out, start = [], 0
    for c in counts:
        out.append((codes[order[start:start + c]], factors[order[start:start + c]]))
        start += c
    return out


def sample_with_factor(j, values):
    rows = np.array([rows_by_value[j][v][rng.randint(len(rows_by_value[j][v]))] for v in values])
    return codes[rows]


def discretize(z, bins=20):
    return np.stack([np.digitize(c, np.histogram(c, bins)[1][:-1]) for c in z.T])


def mi_matrix(discrete, ys):
    return np.array([[mutual_info_score(y, c) for y in ys.T] for c in discrete])


def beta_vae_score(batch=64, num_train=10000, num_eval=5000):
    def points(count):
        x, y = np.zeros((count, dim)), np.zeros(count, dtype=int)
        for p in range(count):
            j = rng.randint(k)
            first = rng.randint(n, size=batch)
            second = sample_with_factor(j, factors[first, j])
            x[p], y[p] = np.mean(np.abs(codes[first] - second), axis=0), j
        return x, y
    xt, yt = points(num_train)
    xe, ye = points(num_eval)
    model = linear_model.LogisticRegression(random_state=rng).fit(xt, yt)
    return float(np.mean(model.predict(xe) == ye))


def factor_vae_score(batch=64, num_train=10000, num_eval=5000, num_var=10000, threshold=0.05):
    (pool, _), = split(num_var)
    global_var = np.var(pool, axis=0, ddof=1)
    active = np.sqrt(global_var) >= threshold
    if not active.any():
        return 0.0

    def votes(count):
        table = np.zeros((k, dim), dtype=np.int64)
        for _ in range(count):
            j = rng.randint(k)
            value = factors[rng.randint(n), j]
            local = np.var(sample_with_factor(j, np.full(batch, value)), axis=0, ddof=1)
            table[j, np.argmin(local[active] / global_var[active])] += 1
        return table
    train, evaluation = votes(num_train), votes(num_eval)
    classifier = np.argmax(train, axis=0)
    return float(np.sum(evaluation[classifier, np.arange(dim)]) / np.sum(evaluation))


def mig(num_train=10000):
    (z, y), = split(num_train)
    m = mi_matrix(discretize(z), y)
    entropy = np.array([mutual_info_score(f, f) for f in y.T])
    top = np.sort(m, axis=0)[::-1]
    return float(np.mean((top[0] - top[1]) / entropy))


def sap(num_train=10000, num_test=5000):
    (z, y), (zt, yt) = split(num_train, num_test)
    score = np.zeros((dim, k))
    for i in range(dim):
        for j in range(k):
            clf = svm.LinearSVC(C=0.01, class_weight='balanced').fit(z[:, i:i + 1], y[:, j])
            score[i, j] = np.mean(clf.predict(zt[:, i:i + 1]) == yt[:, j])
    top = np.sort(score, axis=0)
    return float(np.mean(top[-1] - top[-2]))


def dci(num_train=10000, num_test=5000):
    (z, y), (zt, yt) = split(num_train, num_test)
    importance = np.zeros((dim, k))
    accuracy = []
    for j in range(k):
        model = ensemble.GradientBoostingClassifier().fit(z, y[:, j])
        importance[:, j] = np.abs(model.feature_importances_)
        accuracy.append(np.mean(model.predict(zt) == yt[:, j]))
    p = importance / np.maximum(importance.sum(axis=1, keepdims=True), 1e-12)
    h = -np.sum(p * np.log(np.where(p > 0, p, 1)), axis=1) / np.log(k)
    rho = importance.sum(axis=1) / importance.sum()
    return float(np.sum((1 - h) * rho))


def modularity_explicitness(num_train=10000, num_test=5000):
    (z, y), (zt, yt) = split(num_train, num_test)
    m = mi_matrix(discretize(z), y) ** 2
    top = m.max(axis=1)
    modularity = np.where(top > 0, 1 - (m.sum(axis=1) - top) / np.where(top > 0, top * (k - 1), 1), 0)
    scaler = preprocessing.StandardScaler().fit(z)
    zs, zts = scaler.transform(z), scaler.transform(zt)
    explicitness = []
    for j in range(k):
        clf = linear_model.LogisticRegression().fit(zs, y[:, j])
        onehot = preprocessing.label_binarize(yt[:, j], classes=clf.classes_)
        explicitness.append(roc_auc_score(onehot, clf.predict_proba(zts)))
    return float(np.mean(modularity)), float(np.mean(explicitness))


def irs(num_train=10000, quantile=0.99):
    (z, y), = split(num_train)
    yd = discretize(y).T
    z = z[:, z.std(axis=0) > 0]
    max_dev = np.max(np.abs(z - z.mean(axis=0)), axis=0)
    cum = np.zeros((z.shape[1], k))
    for j in range(k):
        values = np.unique(yd[:, j])
        for v in values:
            group = z[yd[:, j] == v]
            cum[:, j] += np.percentile(np.abs(group - group.mean(axis=0)), quantile * 100, axis=0)
        cum[:, j] /= len(values)
    scores = (1 - cum / max_dev[:, None]).max(axis=1)
    return float(np.average(scores, weights=max_dev))


def unsupervised(num_train=10000):
    (z, _), = split(num_train)
    cov = np.cov(z.T)
    tc = 0.5 * (np.sum(np.log(np.diag(cov))) - np.linalg.slogdet(cov)[1])
    wasserstein = 2 * np.trace(cov) - 2 * np.trace(linalg.sqrtm(cov * np.diag(cov)[:, None])).real
    d = discretize(z)
    mi = np.array([[mutual_info_score(a, b) for b in d] for a in d])
    np.fill_diagonal(mi, 0)
    return float(tc), float(wasserstein), float(mi.sum() / (dim * dim - dim))


def ubisoft_mi(num_train=10000, bins=10):
    """The MI matrix [factor, dim] of Carbonneau et al.'s binning (minmax scale, 10 bins) and the entropies."""
    (z, y), = split(num_train)
    c = np.digitize(preprocessing.minmax_scale(z), np.linspace(0, 1, bins + 1)[:-1])
    mi = np.array([[mutual_info_score(y[:, i], c[:, j]) for j in range(dim)] for i in range(k)])
    return y, c, mi


def entropy_of(a):
    return scipy_entropy(np.unique(a, return_counts=True, axis=0)[1])


def mig_sup():
    _, c, mi = ubisoft_mi()
    s = np.sort(mi / np.array([entropy_of(c[:, j]) for j in range(dim)])[None, :], axis=0)
    return float(np.mean(s[-1] - s[-2]))


def jemmig(bins=10):
    y, c, mi = ubisoft_mi()
    scores = []
    for i in range(k):
        order = np.argsort(mi[i])
        joint = entropy_of(np.stack([y[:, i], c[:, order[-1]]], 1))
        scores.append(1 - (joint - mi[i, order[-1]] + mi[i, order[-2]]) / (entropy_of(y[:, i]) + np.log(bins)))
    return float(np.mean(scores))


def dcimig():
    y, _, mi = ubisoft_mi()
    gaps = np.zeros_like(mi)
    for j in range(dim):
        col = np.sort(mi[:, j])
        gaps[np.argmax(mi[:, j]), j] = col[-1] - col[-2]
    return float(gaps.max(axis=1).sum() / sum(entropy_of(y[:, i]) for i in range(k)))


def groups_varying(j):
    others = [f for f in range(k) if f != j]
    _, inverse, counts = np.unique(factors[:, others], axis=0, return_inverse=True, return_counts=True)
    members = [[] for _ in counts]
    for row, g in enumerate(inverse.ravel()):
        members[g].append(row)
    eligible = np.flatnonzero(counts[inverse.ravel()] > 1)
    return inverse.ravel(), members, eligible


def z_max_var(batch=200, num_train=800, num_eval=800, num_var=10000, threshold=0.05):
    (pool, _), = split(num_var)
    global_var = np.var(pool, axis=0, ddof=1)
    active = np.flatnonzero(np.sqrt(global_var) >= threshold)
    groups = [groups_varying(j) for j in range(k)]

    def votes(count):
        table = np.zeros((k, len(active)), dtype=np.int64)
        for _ in range(count):
            j = rng.randint(k)
            inverse, members, eligible = groups[j]
            group = members[inverse[eligible[rng.randint(len(eligible))]]]
            rows = np.array(group)[rng.randint(len(group), size=batch)]
            local = np.var(codes[rows], axis=0, ddof=1)
            table[j, np.argmax(local[active] / global_var[active])] += 1
        return table
    train, evaluation = votes(num_train), votes(num_eval)
    accuracy = np.sum(evaluation[np.argmax(train, axis=0), np.arange(len(active))]) / np.sum(evaluation)
    return float((accuracy - 1 / k) / (1 - 1 / k))


def dci_es(num_train=10000, num_test=5000, max_depth=8):
    (z, y), (zt, yt) = split(num_train, num_test)
    explicitness = []
    for i in range(k):
        m, s = y[:, i].mean(), y[:, i].std()
        target, target_test = (y[:, i] - m) / s, (yt[:, i] - m) / s
        loss = [np.mean((tree.DecisionTreeRegressor(max_depth=d).fit(z, target).predict(zt) - target_test) ** 2)
                for d in range(1, max_depth + 1)]
        curve = np.minimum.accumulate(loss)
        explicitness.append(1 - np.trapz(curve, dx=1) / (np.mean(target_test ** 2) * (max_depth - 1)))
    return float(np.mean(explicitness))


def infomec(num_train=10000, neighbours=10):
    (z, y), = split(num_train)
    zs = preprocessing.StandardScaler().fit_transform(z)
    nmi = np.array([[feature_selection.mutual_info_classif(zs[:, j:j + 1], y[:, i], discrete_features=False,
                                                           n_neighbors=neighbours, random_state=0)[0]
                     for j in range(dim)] for i in range(k)])
    nmi /= np.array([mutual_info_score(y[:, i], y[:, i]) for i in range(k)])[:, None]
    r = z.max(0) - z.min(0)
    p = nmi[:, r > r.max() / 20]
    infom = (np.mean(p.max(0) / p.sum(0)) - 1 / k) / (1 - 1 / k)
    info_e = []
    for i in range(k):
        model = linear_model.LogisticRegression(penalty=None, class_weight='balanced').fit(zs, y[:, i])
        h0 = np.log(len(np.unique(y[:, i])))
        info_e.append((h0 - metrics.log_loss(y[:, i], model.predict_proba(zs))) / h0)
    return float(infom), float(np.mean(info_e))


SUITE = {
    'beta-vae-score': beta_vae_score,
    'factor-vae-score': factor_vae_score,
    'mig': mig,
    'sap': sap,
    'dci': dci,
    'modularity-explicitness': modularity_explicitness,
    'irs': irs,
    'unsupervised': unsupervised,
    'mig-sup': mig_sup,
    'jemmig': jemmig,
    'dcimig': dcimig,
    'z-max-var': z_max_var,
    'dci-es': dci_es,
    'infomec': infomec,
}
seconds, values = {}, {}
for name, metric in SUITE.items():
    if selected is not None and name not in selected:
        continue
    start = time.perf_counter()
    values[name] = metric()
    seconds[name] = time.perf_counter() - start
print(json.dumps({'impl': 'python-sklearn', 'seconds': seconds, 'total_s': sum(seconds.values()), 'values': values}))
