// The render templates the dialog offers, with what the live preview needs to imitate them
// (where the title and the captions sit, how the picture fills the frame). The ids are the
// rendering pipeline's template files (packages/pipelines/rendering/templates).
export type Fit = 'blur' | 'crop' | 'contain' | 'split';

export interface TemplateInfo {
  id: string;
  name: string;
  description: string;
  format: 'vertical' | 'horizontal';
  fit: Fit;
  titlePosition: 'top' | 'bottom';
  captionPosition: 'lower_third' | 'bottom';
  accent: string;
}

export const TEMPLATES: TemplateInfo[] = [
  { id: 'shorts-blur', name: 'Shorts · blurred fill', format: 'vertical', fit: 'blur', titlePosition: 'top',
    captionPosition: 'lower_third', accent: '#FFCC00',
    description: '9:16, the video centred over a blurred copy of itself, title on top, captions in the lower third.' },
  { id: 'shorts-smartcrop', name: 'Shorts · smart crop', format: 'vertical', fit: 'crop', titlePosition: 'top',
    captionPosition: 'lower_third', accent: '#FFCC00',
    description: '9:16, a virtual camera follows faces and motion.' },
  { id: 'landscape-clean', name: 'Landscape · clean', format: 'horizontal', fit: 'contain', titlePosition: 'bottom',
    captionPosition: 'bottom', accent: '#4CC9F0',
    description: '16:9, lower-third title, captions at the bottom.' },
  { id: 'podcast-split', name: 'Podcast · split', format: 'vertical', fit: 'split', titlePosition: 'top',
    captionPosition: 'lower_third', accent: '#F72585',
    description: '9:16, two speakers stacked, big captions.' },
];
