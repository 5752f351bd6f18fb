"""EmotionMetric: every figure DSCT is judged by, in one evaluator."""
import logging
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmdet.registry import METRICS
from mmengine.evaluator import BaseMetric
from mmengine.logging import MessageHub, print_log

from ...structures import VAD_DIMENSIONS, EmotionSpec
from ..functional import (MISSED, ImageBoxes, average_precision,
                          confusion_matrix, label_prevalence,
                          load_label_prevalence, load_vad_mean,
                          mean_average_precision, subject_box_ap,
                          top1_accuracy, vad_mean)
from ..functional.decision_thresholds import (decision_thresholds_array,
                                              f1_per_class, macro_f1,
                                              predict_label_sets)
from .emotion_report import (METRICS_FILE_NAME, PERCENT, current_log_dir,
                             format_class_ap_table, write_metrics_json)
from .image_emotion_record import ImageEmotionRecord, record_from_data_sample
from .official_protocol import OfficialScores, score_official
from .official_record import (OfficialImageRecord,
                              official_record_from_data_sample)
from .subject_scores import SubjectScores, score_subjects

EVALUATED_SPLIT = 'evaluated split'
PROTOCOLS = ('mmdsct', 'official')


@METRICS.register_module()
class EmotionMetric(BaseMetric):
    """Emotion recognition and subject localisation of a subject detector.

    Reads ``pred_instances`` (``bboxes`` in original pixels, ``scores``,
    ``emotions`` [n, C] probabilities, optional ``vad``) and
    ``gt_instances`` (``bboxes``, ``emotions`` [n, C] of 0/1, optional
    ``vad``) of each data sample, and the
    :class:`~mmdsct.structures.EmotionSpec` of ``dataset_meta``
    (``emotion_classes``, ``multi_label``, ``emotion_class_groups``; see
    :meth:`_spec` for what is done without them). The protocols are
    those of docs/evaluation_protocols.md. Figures returned, under prefix
    ``emotion``, all in percent except the VAD errors:

    - ``mAP``, ``accuracy``: GT-matched protocol (each GT takes the
      prediction of highest IoU; a GT in an image without predictions scores
      zero and counts wrong). mAP is the mean over classes of
      scikit-learn's average precision; a class without positives is left
      out, with a warning. ``accuracy`` is top-1: the highest-scoring class
      is a positive one; for single-label data the usual accuracy, for
      multi-label data precision at 1, over subjects with a label.
    - ``mAP_det``, ``accuracy_det``, ``seen_ratio``: detection-aware
      protocol (one-to-one at IoU >= ``iou_thr``, greedy by subject score;
      an unseen GT scores zero and counts wrong) and the share of GT
      subjects seen.
    - ``mAP_prevalence``, ``accuracy_prevalence``: the baseline scoring
      everyone with the class frequencies of ``prevalence_ann_file``.
      (Constant scores tie all subjects, so a class's AP is its share of
      positives in the evaluated split; the accuracy is that of always
      answering the most frequent training class.)
    - ``mAP_<g>``, ``mAP_det_<g>``, ``mAP_prevalence_<g>`` for each group g
      of ``emotion_class_groups``: the mean AP over the group's classes.
    - ``bbox_mAP``, ``bbox_mAP_50``: COCO box AP of the subjects.
    - ``vad_mae_valence``, ``vad_mae_arousal``, ``vad_mae_dominance``,
      ``vad_mae`` (their mean): GT-matched mean absolute VAD error, when
      the model predicts VAD and the data has it.
    - ``vad_mae_mean_baseline_<dimension>``, ``vad_mae_mean_baseline``: the
      error, on the same GT subjects, of predicting for everyone the mean
      VAD of ``prevalence_ann_file`` (the training split), or of the
      evaluated split's own GT when that file is not given or has no VAD.
    - ``macro_F1``, only with ``thresholds``: the mean over classes (those
      with positives) of the F1 of the GT-matched predicted label sets:
      classes at or above their decision threshold (multi-label data), the
      most probable class (single-label data); a GT without a prediction
      gets no label.

    The per-class APs are logged as a table, and every figure is written to
    ``emotion_metrics.json`` (see :mod:`.emotion_report`).

    ``protocol='official'`` scores instead exactly as the DSCT authors'
    test script did (see :mod:`.official_protocol`) and returns only
    ``mAP`` and ``accuracy`` (percent): every GT takes, among ALL subject
    queries, the one of highest "+1 pixel" IoU (ties to the highest query
    index, boxes unclamped); probabilities are the sigmoid (multi-label) or
    the softmax (single-label) of the emotion logits; ``accuracy`` compares
    the first positive GT class with the argmax; ``mAP`` is scikit-learn's
    macro AP over all classes, a class without positives counting as 0; a GT
    subject without any label is left out (counted in the log). It
    needs the ``query_index``, ``emotion_logits`` and ``bboxes_unclamped``
    that :class:`~mmdsct.models.dense_heads.DSCTHead` predicts. The JSON
    file then also holds each GT subject's matched query.

    Args:
        prevalence_ann_file (str, optional): Annotation JSON of the training
            split, for the prevalence baseline. Without it the evaluated
            split's own frequencies are used, with a warning.
        iou_thr (float): Least IoU of a detection-aware match.
            Defaults to 0.5.
        protocol (str): ``'mmdsct'`` (the figures above) or ``'official'``
            (the DSCT authors' protocol). Defaults to ``'mmdsct'``.
        out_dir (str, optional): Directory of the JSON file. Defaults to
            the directory of the run's log file (``work_dir/<timestamp>``);
            without a log file nothing is written.
        out_file_name (str): Name of the JSON file.
            Defaults to ``'emotion_metrics.json'``.
        collect_device (str): ``'cpu'`` or ``'gpu'``, to gather results
            across ranks. Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the figure names.
            Defaults to ``'emotion'``.
        collect_dir (str, optional): Directory used to gather results on
            CPU. Defaults to None.
        thresholds (str | Sequence[float] | Mapping[str, float], optional):
            Per-class decision thresholds for ``macro_F1``: values in class
            order, class name → threshold, or the JSON file that
            ``tools/analysis_tools/fit_emotion_thresholds.py`` writes. None
            (default) reports no ``macro_F1``. Not used by the official
            protocol.
    """
    default_prefix: Optional[str] = 'emotion'

    def __init__(self,
                 prevalence_ann_file: Optional[str] = None,
                 iou_thr: float = 0.5,
                 protocol: str = 'mmdsct',
                 out_dir: Optional[str] = None,
                 out_file_name: str = METRICS_FILE_NAME,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None,
                 thresholds: Optional[Any] = None) -> None:
        super().__init__(
            collect_device=collect_device,
            prefix=prefix,
            collect_dir=collect_dir)
        if protocol not in PROTOCOLS:
            raise ValueError(f'EmotionMetric protocol must be one of '
                             f'{PROTOCOLS}, got {protocol!r}')
        self.prevalence_ann_file = prevalence_ann_file
        self.iou_thr = iou_thr
        self.protocol = protocol
        self.out_dir = out_dir
        self.out_file_name = out_file_name
        self.thresholds = thresholds

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Keep a compact record of each image (see
        :class:`ImageEmotionRecord`, or :class:`OfficialImageRecord` for
        the official protocol).

        Args:
            data_batch (Any): The batch from the dataloader (unused).
            data_samples (Sequence[dict | DetDataSample]): The model's
                outputs, with ground truth.
        """
        class_names = (self.dataset_meta or {}).get('emotion_classes')
        num_classes = len(class_names) if class_names else None
        make_record = (
            official_record_from_data_sample
            if self.protocol == 'official' else record_from_data_sample)
        for data_sample in data_samples:
            self.results.append(make_record(data_sample, num_classes))

    def compute_metrics(self, results: List[ImageEmotionRecord]) -> dict:
        """Compute every figure from the records of all images (rank 0).

        Args:
            results (list[ImageEmotionRecord]): One record per image.

        Returns:
            dict[str, float]: The figures listed in the class docstring.
        """
        if self.protocol == 'official':
            return self._compute_official(results)
        class_names = self._class_names(results)
        subjects = score_subjects(results, len(class_names), self.iou_thr)
        spec = self._spec(class_names, subjects.targets)
        prevalence, prevalence_source = self._prevalence(
            class_names, subjects.targets)
        per_class = self._per_class_ap(subjects, prevalence)
        self._warn_classes_without_positives(class_names, per_class['AP'])
        figures = self._emotion_figures(subjects, prevalence, per_class)
        figures.update(self._group_figures(spec, per_class))
        box_stats, coco_summary = self._subject_box_stats(results)
        figures['bbox_mAP'] = box_stats['mAP'] * PERCENT
        figures['bbox_mAP_50'] = box_stats['mAP_50'] * PERCENT
        figures.update(self._vad_figures(subjects, class_names))
        figures.update(self._threshold_figures(spec, subjects))
        print_log(
            'Subject box AP (pycocotools):\n' + coco_summary, logger='current')
        self._log_class_table(class_names, per_class, prevalence)
        report = self._report(results, spec, subjects, figures, per_class,
                              prevalence, prevalence_source, box_stats)
        self._write_report(report)
        return figures

    def _compute_official(self, results: List[OfficialImageRecord]) -> dict:
        """``mAP`` and ``accuracy`` of the official protocol, in percent.

        Args:
            results (list[OfficialImageRecord]): One record per image.

        Returns:
            dict[str, float]: ``mAP`` and ``accuracy``.
        """
        class_names = self._class_names(results)
        targets = np.concatenate([np.zeros((0, len(class_names)))] +
                                 [r.gt_emotions for r in results])
        multi_label = self._spec(class_names, targets).multi_label
        scores = score_official(results, len(class_names), multi_label)
        if scores.num_unlabelled:
            print_log(
                f'Official protocol: {scores.num_unlabelled} GT subject(s) '
                'without any emotion label left out (the official script '
                'cannot score them)',
                logger='current',
                level=logging.WARNING)
        figures = {
            'mAP': scores.mAP * PERCENT,
            'accuracy': scores.accuracy * PERCENT
        }
        table = format_class_ap_table(
            class_names, {
                'AP (official)': scores.per_class_ap * PERCENT,
                'positives': scores.targets.sum(axis=0).astype(int)
            })
        print_log(
            'Official protocol: '
            f'{"sigmoid" if multi_label else "softmax"} probabilities, '
            '"+1" IoU matching over all queries, last query wins ties; '
            'emotion AP per class:\n' + table,
            logger='current')
        self._write_report(
            self._official_report(results, class_names, multi_label, scores,
                                  figures))
        return figures

    def _official_report(self, results: List[OfficialImageRecord],
                         class_names: List[str], multi_label: bool,
                         scores: OfficialScores, figures: dict) -> dict:
        """The JSON report of the official protocol."""
        report = dict(
            protocol='official',
            metrics=figures,
            emotion_classes=class_names,
            multi_label=multi_label,
            probabilities='sigmoid' if multi_label else 'softmax',
            per_class=dict(
                AP=scores.per_class_ap * PERCENT,
                num_positives=scores.targets.sum(axis=0).astype(int)),
            subjects=dict(
                img_id=scores.img_ids,
                matched_query=scores.matched_queries,
                gt_class=scores.gt_classes,
                pred_class=scores.pred_classes),
            counts=dict(
                images=len(results),
                gt_subjects=len(scores.targets),
                unlabelled_subjects_left_out=scores.num_unlabelled,
                predictions=sum(len(r.pred_bboxes) for r in results)),
            units='percent')
        runtime_info = MessageHub.get_current_instance().runtime_info
        report.update({
            key: runtime_info[key]
            for key in ('epoch', 'iter') if key in runtime_info
        })
        return report

    def _class_names(self, results: list) -> List[str]:
        """``dataset_meta['emotion_classes']``, or made-up names."""
        class_names = (self.dataset_meta or {}).get('emotion_classes')
        if class_names:
            return list(class_names)
        num_classes = next((self._record_classes(r) for r in results), 0)
        print_log(
            'dataset_meta has no emotion_classes: classes are named by '
            'index',
            logger='current',
            level=logging.WARNING)
        return [f'class_{c}' for c in range(num_classes)]

    @staticmethod
    def _record_classes(record: Any) -> int:
        """Number of emotion classes of either kind of record."""
        emotions = getattr(record, 'pred_emotions', None)
        if emotions is None:
            emotions = record.pred_emotion_logits
        return emotions.shape[1]

    def _spec(self, class_names: List[str],
              targets: np.ndarray) -> EmotionSpec:
        """The evaluated dataset's emotion labels.

        ``dataset_meta``'s spec; without ``multi_label`` there, the labels
        are multi-label when any GT subject has other than exactly one
        positive class.

        Args:
            class_names (list[str]): See :meth:`_class_names`.
            targets (np.ndarray): GT labels of all subjects, [G, C].

        Returns:
            EmotionSpec: Classes, label kind and groups.
        """
        meta = self.dataset_meta or {}
        multi_label = meta.get('multi_label')
        if multi_label is None:
            multi_label = bool((targets.sum(axis=1) != 1).any())
            print_log(
                'dataset_meta has no multi_label flag; the labels look '
                f'{"multi" if multi_label else "single"}-label',
                logger='current')
        return EmotionSpec(
            tuple(class_names), bool(multi_label),
            meta.get('emotion_class_groups') or {})

    def _prevalence(self, class_names: List[str],
                    targets: np.ndarray) -> Tuple[np.ndarray, str]:
        """Class frequencies of the baseline, and where they come from."""
        if self.prevalence_ann_file is not None:
            return (load_label_prevalence(self.prevalence_ann_file,
                                          class_names),
                    self.prevalence_ann_file)
        print_log(
            'EmotionMetric has no prevalence_ann_file: mAP_prevalence and '
            'accuracy_prevalence use the frequencies of the evaluated split '
            'itself, not of the training split',
            logger='current',
            level=logging.WARNING)
        return label_prevalence(targets), EVALUATED_SPLIT

    @staticmethod
    def _per_class_ap(subjects: SubjectScores,
                      prevalence: np.ndarray) -> Dict[str, np.ndarray]:
        """AP per class in percent, [C] each, for both protocols and the
        prevalence baseline."""
        constant_scores = np.tile(prevalence,
                                  (len(subjects.targets), 1))  # [G, C]
        return {
            name:
            average_precision(scores, subjects.targets, warn_missing=False) *
            PERCENT
            for name, scores in (('AP', subjects.scores),
                                 ('AP_det', subjects.scores_det),
                                 ('AP_prevalence', constant_scores))
        }

    @staticmethod
    def _warn_classes_without_positives(class_names: List[str],
                                        per_class_ap: np.ndarray) -> None:
        """Log the classes whose AP is undefined."""
        missing = [
            class_names[c] for c in np.flatnonzero(np.isnan(per_class_ap))
        ]
        if missing:
            print_log(
                f'No GT subject of class {", ".join(missing)}: AP undefined, '
                'left out of every mean AP',
                logger='current',
                level=logging.WARNING)

    @staticmethod
    def _emotion_figures(subjects: SubjectScores, prevalence: np.ndarray,
                         per_class: Dict[str, np.ndarray]) -> dict:
        """mAP, accuracy and seen ratio of both protocols and baseline."""
        constant_scores = np.tile(prevalence,
                                  (len(subjects.targets), 1))  # [G, C]
        seen_ratio = subjects.seen.mean() if len(subjects.seen) else np.nan
        return {
            'mAP':
            mean_average_precision(per_class['AP']),
            'accuracy':
            top1_accuracy(subjects.scores, subjects.targets,
                          subjects.has_prediction) * PERCENT,
            'mAP_det':
            mean_average_precision(per_class['AP_det']),
            'accuracy_det':
            top1_accuracy(subjects.scores_det, subjects.targets, subjects.seen)
            * PERCENT,
            'seen_ratio':
            float(seen_ratio) * PERCENT,
            'mAP_prevalence':
            mean_average_precision(per_class['AP_prevalence']),
            'accuracy_prevalence':
            top1_accuracy(constant_scores, subjects.targets) * PERCENT,
        }

    @staticmethod
    def _group_figures(spec: EmotionSpec, per_class: Dict[str,
                                                          np.ndarray]) -> dict:
        """Mean APs over each group of ``emotion_class_groups``."""
        figures = {}
        for group, members in spec.emotion_class_groups.items():
            indices = [spec.emotion_classes.index(name) for name in members]
            figures[f'mAP_{group}'] = mean_average_precision(
                per_class['AP'][indices])
            figures[f'mAP_det_{group}'] = mean_average_precision(
                per_class['AP_det'][indices])
            figures[f'mAP_prevalence_{group}'] = mean_average_precision(
                per_class['AP_prevalence'][indices])
        return figures

    @staticmethod
    def _subject_box_stats(
            results: List[ImageEmotionRecord]) -> Tuple[dict, str]:
        """COCO statistics of the subject boxes, and pycocotools' text."""
        images = [
            ImageBoxes(*record.ori_shape, record.gt_bboxes, record.pred_bboxes,
                       record.pred_scores) for record in results
        ]
        return subject_box_ap(images)

    def _threshold_figures(self, spec: EmotionSpec,
                           subjects: SubjectScores) -> dict:
        """``macro_F1`` at ``thresholds`` (GT-matched label sets)."""
        if self.thresholds is None:
            return {}
        thresholds = decision_thresholds_array(self.thresholds,
                                               list(spec.emotion_classes),
                                               'EmotionMetric thresholds')
        labels = predict_label_sets(subjects.scores, thresholds,
                                    spec.multi_label, subjects.has_prediction)
        return {
            'macro_F1':
            macro_f1(f1_per_class(labels, subjects.targets)) * PERCENT
        }

    def _vad_figures(self, subjects: SubjectScores,
                     class_names: List[str]) -> dict:
        """Mean absolute VAD error per dimension, GT-matched, and that of
        the mean-VAD baseline on the same subjects."""
        if subjects.pred_vad is None:
            return {}
        errors = np.abs(subjects.pred_vad - subjects.gt_vad)  # [G, 3]
        known = ~np.isnan(errors)  # [G, 3]
        if not known.any():
            return {}
        figures = _mean_errors('vad_mae', errors, known)
        mean = vad_mean(subjects.gt_vad)
        if self.prevalence_ann_file is not None:
            train_mean = load_vad_mean(self.prevalence_ann_file, class_names)
            if np.isnan(train_mean).any():
                print_log(
                    f'{self.prevalence_ann_file} has no VAD: the VAD '
                    'baseline uses the mean of the evaluated split',
                    logger='current',
                    level=logging.WARNING)
            mean = np.where(np.isnan(train_mean), mean, train_mean)
        figures.update(
            _mean_errors('vad_mae_mean_baseline',
                         np.abs(subjects.gt_vad - mean[None]), known))
        return figures

    @staticmethod
    def _log_class_table(class_names: List[str], per_class: Dict[str,
                                                                 np.ndarray],
                         prevalence: np.ndarray) -> None:
        """Log AP per class, both protocols and the baseline."""
        table = format_class_ap_table(
            class_names, {
                'AP': per_class['AP'],
                'AP_det': per_class['AP_det'],
                'AP_prevalence': per_class['AP_prevalence'],
                'prevalence (%)': prevalence * PERCENT,
            })
        print_log('Emotion AP per class:\n' + table, logger='current')

    def _report(self, results: List[ImageEmotionRecord], spec: EmotionSpec,
                subjects: SubjectScores, figures: dict,
                per_class: Dict[str, np.ndarray], prevalence: np.ndarray,
                prevalence_source: str, box_stats: dict) -> dict:
        """Every figure of the evaluation, for the JSON file."""
        report = dict(
            metrics=figures,
            emotion_classes=list(spec.emotion_classes),
            multi_label=spec.multi_label,
            emotion_class_groups=spec.to_metainfo()['emotion_class_groups'],
            per_class=dict(
                per_class,
                prevalence=prevalence * PERCENT,
                num_positives=subjects.targets.sum(axis=0).astype(int)),
            prevalence_source=prevalence_source,
            subject_box={k: v * PERCENT
                         for k, v in box_stats.items()},
            counts=dict(
                images=len(results),
                gt_subjects=len(subjects.targets),
                predictions=sum(len(r.pred_scores) for r in results)),
            units='percent, except vad_mae_* (units of the VAD labels)',
            protocol=self.protocol,
            iou_thr=self.iou_thr)
        if not spec.multi_label:
            report.update(self._confusion_matrices(subjects))
        runtime_info = MessageHub.get_current_instance().runtime_info
        report.update({
            key: runtime_info[key]
            for key in ('epoch', 'iter') if key in runtime_info
        })
        return report

    @staticmethod
    def _confusion_matrices(subjects: SubjectScores) -> dict:
        """[C, C + 1] confusion matrices of both protocols (single-label)."""
        gt_labels = np.argmax(subjects.targets, axis=1)  # [G]
        num_classes = subjects.targets.shape[1]
        matrices = {}
        for name, scores, found in (('confusion_matrix', subjects.scores,
                                     subjects.has_prediction),
                                    ('confusion_matrix_det',
                                     subjects.scores_det, subjects.seen)):
            pred_labels = np.where(found, np.argmax(scores, axis=1), MISSED)
            matrices[name] = confusion_matrix(gt_labels, pred_labels,
                                              num_classes)
        return matrices

    def _write_report(self, report: dict) -> None:
        """Write the JSON file into ``out_dir`` or the log's directory."""
        out_dir = self.out_dir or current_log_dir()
        if out_dir is None:
            print_log(
                f'{self.out_file_name} not written: no out_dir given and '
                'the logger writes no file',
                logger='current')
            return
        path = write_metrics_json(report, out_dir, self.out_file_name)
        print_log(f'Emotion metrics written to {path}', logger='current')


def _mean_errors(prefix: str, errors: np.ndarray,
                 known: np.ndarray) -> Dict[str, float]:
    """``<prefix>_<dimension>`` (mean of the known errors of each
    dimension, NaN without any) and ``<prefix>`` (their mean).

    Args:
        prefix (str): Name of the figures.
        errors (np.ndarray): Absolute errors, [G, 3].
        known (np.ndarray): Which errors count, bool [G, 3].

    Returns:
        dict[str, float]: The four figures.
    """
    mae = [
        float(errors[known[:, d],
                     d].mean()) if known[:, d].any() else float('nan')
        for d in range(len(VAD_DIMENSIONS))
    ]
    figures = {
        f'{prefix}_{name}': value
        for name, value in zip(VAD_DIMENSIONS, mae)
    }
    figures[prefix] = float(np.nanmean(mae))
    return figures
